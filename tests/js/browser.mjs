// Drives Debian's Chromium (headless, through playwright-core) against a running server.
// Usage: node browser.mjs smoke <base-url> <screenshot.png>
// Prints one JSON line with what the page showed; exits non-zero on any failure.
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

async function smoke(base, screenshot) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const response = await page.goto(base + "/", { waitUntil: "networkidle" });
    // The status alert appears once the UI has called /healthz and rendered the answer.
    await page.getByText(/Service (opérationnel|dégradé|indisponible)/).waitFor({ timeout: 15000 });
    const result = {
      status: response ? response.status() : null,
      title: await page.title(),
      h1: await page.locator("main h1").innerText(),
      serviceStatus: await page.getByText(/Service (opérationnel|dégradé|indisponible)/).first().innerText(),
      dsfrLoaded: await page.evaluate(() =>
        Array.from(document.styleSheets).some((s) => (s.href || "").includes("dsfr.min.css") && s.cssRules.length > 0),
      ),
      errors,
    };
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

const main = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
const [cmd, ...args] = main ? process.argv.slice(2) : [];
if (cmd === "smoke") {
  smoke(args[0], args[1]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (cmd) {
  console.error(`unknown command ${cmd}`);
  process.exit(2);
}
