"""A local OpenAI-compatible chat server replaying a recorded exchange, for tests/retrieval/cli.rs.

No OpenAI-compatible server with a model could be installed from the registries on this machine
(PyPI has no prebuilt llama.cpp server wheel; llama-cpp-python builds from source), so the test
exercises the HTTP contract against this replay: POST /v1/chat/completions, bearer key, JSON body
with model and messages, reply in choices[0].message.content. The recorded reply cites the
passage that holds the measured alcohol rate by the id the prompt gave it, and adds two sentences
a model could invent: a quote found in no passage, and a passage id that was never given.
Every request is appended to the log file named on the command line.

usage: python3 openai_replay.py PORT_FILE LOG_FILE
"""
import json, re, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port_file, log_file = sys.argv[1], sys.argv[2]

RECORDED = ("Le taux d'alcoolémie relevé est de « {rate} ». [{pid}] "
            "Le mis en cause a déclaré « avoir bu dix bières avant de conduire ». [{pid}] "
            "Il avait déjà été condamné pour les mêmes faits « en 2019 ». [P42]")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with open(log_file, "a") as f:
            f.write(json.dumps({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body}) + "\n")
        if self.path != "/v1/chat/completions":
            self.send_response(404); self.end_headers(); return
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        pid, rate = "P1", "1,61 g/l"
        for line in user.splitlines():
            m = re.match(r"\[(P\d+)\].*?(\d+,\d+ (?:g/l|mg/l))", line)
            if m:
                pid, rate = m.group(1), m.group(2)
                break
        reply = {"id": "chatcmpl-replay", "object": "chat.completion", "model": body["model"],
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": RECORDED.format(pid=pid, rate=rate)}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
