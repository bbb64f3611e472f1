// Converse.js (npm `converse.js`) in headless Chromium for the end-to-end tests: a tiny HTTP
// server on 127.0.0.1 serves one page that loads Converse's dist bundle (an ES module) from
// node_modules and logs in over WebSocket or BOSH (auto_login); puppeteer-core drives Debian's
// Chromium (no browser download). A small Converse plugin on the page records the session's full JID and every
// message stanza the server delivered, so tests can assert both the stanza and the chat DOM.
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, resolve, sep } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { waitFor } from "@xmppd/testkit";
import { parseElement, type Element } from "@xmppd/xml";

const DIST = resolve(import.meta.dirname, "../../node_modules/converse.js/dist");
const TYPES: Record<string, string> = {
  ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm",
  ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
  ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".map": "application/json",
};

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or null when absent. */
export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;

export interface ConverseUser {
  /** The full JID the server bound for the browser's session. */
  jid: string;
  /** Message stanzas delivered to the browser, as the server sent them, in order. */
  messages(): Element[];
  /** Resolves with the first delivered message that matches. */
  nextMessage(match: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /**
   * Waits until Converse has the chat with `bareJid` (a message created it), opens it (as a
   * click on it does) and waits until it shows exactly these message texts, in this order.
   */
  waitForChat(bareJid: string, texts: string[], timeoutMs?: number): Promise<void>;
  /** Types `body` into the chat with `bareJid` and presses Enter, as a user would. */
  type(bareJid: string, body: string): Promise<void>;
  /** What the page logged (for failure messages). */
  console(): string;
  close(): Promise<void>;
}

export interface ConverseOptions {
  /** One of the two: XMPP over WebSocket (RFC 7395) or BOSH (XEP-0206). */
  websocketUrl?: string;
  boshUrl?: string;
  jid: string;
  password: string;
  timeoutMs?: number;
}

export async function openConverse(opts: ConverseOptions): Promise<ConverseUser> {
  if (!CHROMIUM) throw new Error("chromium is not installed (apt-get install chromium)");
  const server = await servePage(opts);
  const logs: string[] = [];
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: no sandbox; the gateway's generated certificate is self-signed.
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--ignore-certificate-errors", "--no-first-run"],
      protocolTimeout: 30_000,
    });
    const page = await browser.newPage();
    page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (err) => logs.push(`pageerror: ${String(err)}`));
    // Loopback only: whatever Converse would fetch from elsewhere (avatars, link previews) is refused.
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      const { protocol, hostname } = new URL(req.url());
      if (hostname === "127.0.0.1" || protocol === "data:" || protocol === "blob:") void req.continue();
      else (logs.push(`refused: ${req.url()}`), void req.abort());
    });
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as unknown as Probe).__probe.jid !== null, { timeout: opts.timeoutMs ?? 30_000 }).catch((err: unknown) => {
      throw new Error(`Converse did not log in:\n${logs.slice(-40).join("\n")}`, { cause: err });
    });
    const jid = await page.evaluate(() => (globalThis as unknown as Probe).__probe.jid!);
    return user(page, browser, server, jid, logs);
  } catch (err) {
    await browser?.close().catch(() => undefined);
    server.close();
    throw err;
  }
}

/** What the page's probe plugin keeps on the browser's global object. */
interface Probe {
  __probe: { jid: string | null; stanzas: string[]; api: ConverseApi };
}
interface ConverseApi {
  chats: {
    open(jid: string, attrs: object, force: boolean): Promise<unknown>;
    get(jid: string): Promise<object | null | undefined>;
  };
}

function user(page: Page, browser: Browser, server: Server, jid: string, logs: string[]): ConverseUser {
  const messages = async (): Promise<Element[]> =>
    (await page.evaluate(() => (globalThis as unknown as Probe).__probe.stanzas)).map((text) => parseElement(text));
  let cache: Element[] = [];
  const chatSelector = (bareJid: string) => `converse-chat[jid="${bareJid}"]`;
  const chatTexts = (bareJid: string) =>
    page.$$eval(`${chatSelector(bareJid)} .chat-msg__text`, (els) => els.map((el) => (el.textContent ?? "").trim()));
  const hasChat = (bareJid: string) =>
    page.evaluate(async (peer) => !!(await (globalThis as unknown as Probe).__probe.api.chats.get(peer)), bareJid);
  // In fullscreen mode only the chat in front is rendered; `force` brings it there.
  const show = (bareJid: string) => page.evaluate((peer) => (globalThis as unknown as Probe).__probe.api.chats.open(peer, {}, true), bareJid);
  return {
    jid,
    messages: () => cache,
    async nextMessage(match, timeoutMs = 10_000) {
      return waitFor(async () => (cache = await messages()).find(match), { timeoutMs, what: "a message in the browser" });
    },
    async waitForChat(bareJid, texts, timeoutMs = 10_000) {
      const expected = JSON.stringify(texts);
      let seen: string[] = [];
      const check = async () => {
        // Converse creates the chat when the first message arrives, asynchronously. Opening it
        // before that finished made a second model for the same JID (createChatBox awaits before
        // it adds to the collection), and the message went to the one not shown: the chat stayed
        // empty in CI. A user clicks on a chat that is there, and so do we.
        if (!(await hasChat(bareJid))) return false;
        // Brought to the front again while its view is missing or empty (a user clicking once more).
        if ((await page.$(chatSelector(bareJid))) === null) await show(bareJid);
        if (JSON.stringify((seen = await chatTexts(bareJid))) === expected) return true;
        if (seen.length === 0) await show(bareJid);
        return false;
      };
      await waitFor(check, { timeoutMs, what: `${expected} in Converse's chat with ${bareJid}` }).catch(async (err: unknown) => {
        const dom = await page.$$eval("converse-chat, .chat-msg__text", (els) => els.map((el) => el.outerHTML.slice(0, 300)).join("\n"));
        const delivered = (await messages()).map(String).join("\n");
        throw new Error(`${String(err)}; shown: ${JSON.stringify(seen)}\nchats and messages in the DOM:\n${dom}\nmessages delivered:\n${delivered}\nconsole:\n${logs.slice(-30).join("\n")}`);
      });
    },
    async type(bareJid, body) {
      if ((await page.$(chatSelector(bareJid))) === null) await show(bareJid);
      const textarea = `${chatSelector(bareJid)} textarea.chat-textarea`;
      await page.waitForSelector(textarea, { visible: true, timeout: 10_000 });
      await page.type(textarea, body);
      await page.keyboard.press("Enter");
    },
    console: () => logs.join("\n"),
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise((r) => server.close(r));
    },
  };
}

/** The page, and Converse's dist folder under /dist/. */
async function servePage(opts: ConverseOptions): Promise<Server> {
  const html = page(opts);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/favicon.ico") return void res.writeHead(204).end();
    if (path === "/") return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    const file = resolve(DIST, `.${decodeURIComponent(path.replace(/^\/dist/, ""))}`);
    if (!path.startsWith("/dist/") || !file.startsWith(DIST + sep) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

function page(opts: ConverseOptions): string {
  const settings = {
    assets_path: "/dist/",
    ...(opts.websocketUrl ? { websocket_url: opts.websocketUrl } : {}),
    ...(opts.boshUrl ? { bosh_service_url: opts.boshUrl } : {}),
    discover_connection_methods: false,
    authentication: "login",
    auto_login: true,
    auto_reconnect: false,
    jid: opts.jid,
    password: opts.password,
    allow_non_roster_messaging: true,
    view_mode: "fullscreen",
    i18n: "en",
    loglevel: "info",
    play_sounds: false,
    show_desktop_notifications: false,
    whitelisted_plugins: ["test-probe"],
    // OMEMO fetches a WebAssembly module and device lists; nothing here needs it.
    blacklisted_plugins: ["converse-omemo"],
  };
  // The probe plugin: the bound JID once Converse is ready, and each <message/> as the server sent it.
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>converse e2e</title><link rel="stylesheet" href="/dist/converse.min.css"></head>
<body>
<script type="module">
import converse from "/dist/converse.min.js";
window.__probe = { jid: null, stanzas: [], api: null };
converse.plugins.add("test-probe", {
  initialize() {
    const api = this._converse.api;
    window.__probe.api = api;
    api.listen.on("connected", async () => {
      api.listen.stanza("message", (stanza) => {
        window.__probe.stanzas.push(new XMLSerializer().serializeToString(stanza));
        return true;
      });
      // Online as a user sees it: Converse handles chat messages (presences initialised) and the
      // server has its initial presence (RFC 6121 §4.2.2: it comes back to the sending resource).
      let announced;
      const isAnnounced = new Promise((resolve) => (announced = resolve));
      api.listen.stanza("presence", (stanza) => {
        if (stanza.getAttribute("from") === api.connection.get().jid && !stanza.getAttribute("type")) announced();
        return true;
      });
      const ui = ["chatBoxViewsInitialized", "controlBoxInitialized", "rosterViewInitialized"].map((p) => api.waitUntil(p));
      await Promise.all([api.waitUntil("presencesInitialized"), api.waitUntil("chatBoxesFetched"), ...ui, isAnnounced]);
      window.__probe.jid = api.connection.get().jid;
    });
  },
});
converse.initialize(${JSON.stringify(settings)});
</script>
</body></html>
`;
}
