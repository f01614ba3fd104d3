// The dossier's collaborative room: one Yjs document synchronised over `/ws/{dossier}` (the
// session cookie authenticates the WebSocket), with presence through awareness. Shared types
// are described in workspace/README.md: `annotations` (Y.Map), `synthesis` (Y.XmlFragment),
// `corrections` (Y.Array).
import { useEffect, useState, useSyncExternalStore } from "react";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import type { BBox } from "./api";

export type Annotation = {
  document: string;
  page: number;
  boxes: [number, number, number, number][];
  quote: string;
  comment: string;
  author: string;
  time: string;
  resolved: boolean;
};

export type Presence = { clientId: number; id: string; name: string; color: string; page?: number; document?: string };

export type Workspace = {
  doc: Y.Doc;
  provider: WebsocketProvider;
  annotations: Y.Map<Annotation>;
  synthesis: Y.XmlFragment;
};

const COLORS = ["#000091", "#b34000", "#18753c", "#6a6af4", "#a94645", "#716043", "#009081", "#c3992a"];

function colorOf(id: string): string {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

/** Open the room of `dossier` for `user` while the component is mounted. */
export function useWorkspace(dossier: string, user: { login: string; nom: string }): Workspace | null {
  const [ws, setWs] = useState<Workspace | null>(null);
  useEffect(() => {
    const doc = new Y.Doc();
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    const provider = new WebsocketProvider(`${proto}//${window.location.host}/ws`, dossier, doc, { maxBackoffTime: 5000 });
    provider.awareness.setLocalStateField("user", { id: user.login, name: user.nom || user.login, color: colorOf(user.login) });
    setWs({ doc, provider, annotations: doc.getMap<Annotation>("annotations"), synthesis: doc.getXmlFragment("synthesis") });
    return () => {
      provider.awareness.setLocalState(null);
      provider.destroy();
      doc.destroy();
      setWs(null);
    };
  }, [dossier, user.login, user.nom]);
  return ws;
}

/** Re-render when a Yjs type changes (deeply). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function useY<T>(type: Y.AbstractType<any> | null | undefined, read: () => T): T {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!type) return;
    const f = () => setTick((t) => t + 1);
    type.observeDeep(f);
    return () => type.unobserveDeep(f);
  }, [type]);
  return read();
}

/** Whether the room is connected and synchronised. */
export function useSynced(ws: Workspace | null): boolean {
  const subscribe = (f: () => void) => {
    if (!ws) return () => {};
    ws.provider.on("sync", f);
    ws.provider.on("status", f);
    return () => {
      ws.provider.off("sync", f);
      ws.provider.off("status", f);
    };
  };
  return useSyncExternalStore(subscribe, () => !!ws && ws.provider.synced);
}

/** Who else is in the dossier now. */
export function usePresence(ws: Workspace | null): Presence[] {
  const [list, setList] = useState<Presence[]>([]);
  useEffect(() => {
    if (!ws) return;
    const aw = ws.provider.awareness;
    const update = () => {
      const out: Presence[] = [];
      aw.getStates().forEach((state, clientId) => {
        const u = (state as { user?: { id: string; name: string; color: string } }).user;
        if (u) out.push({ clientId, id: u.id, name: u.name, color: u.color, page: state.page, document: state.document });
      });
      setList(out);
    };
    aw.on("change", update);
    update();
    return () => aw.off("change", update);
  }, [ws]);
  return list;
}

export function boxesToTuples(boxes: BBox[]): [number, number, number, number][] {
  return boxes.map((b) => [b.x0, b.y0, b.x1, b.y1]);
}

export function tuplesToBoxes(boxes: [number, number, number, number][]): BBox[] {
  return boxes.map(([x0, y0, x1, y1]) => ({ x0, y0, x1, y1 }));
}
