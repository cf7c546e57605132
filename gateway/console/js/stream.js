// GET /api/stream (Server-Sent Events) read with fetch() and a ReadableStream, so the bearer
// token goes in the Authorization header. The server closes the stream when the token expires:
// the console refreshes the token and reconnects, with a growing pause after failures.
import { accessToken, expireAccess } from "./api.js";

export function parseEvents(buffer, emit) {
  // Events end with a blank line; returns what is left of an unfinished event.
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    let name = "message", data = "", id = null;
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data += (data ? "\n" : "") + value;
      else if (field === "id") id = value;
    }
    if (!data) continue;
    try { emit(name, JSON.parse(data), id); } catch { /* a message that is not JSON is skipped */ }
  }
  return rest;
}

export function openStream(onEvent, onState = () => {}, signInAgain = null) {
  let stopped = false, controller = null, pause = 1000;
  async function run() {
    while (!stopped) {
      const access = await accessToken();
      if (!access) { // the session is over: ask to sign in again (pops must not stop silently)
        onState("offline");
        if (signInAgain) await signInAgain(); else await wait(3000);
        continue;
      }
      controller = new AbortController();
      try {
        const response = await fetch("/api/stream", {
          headers: { Authorization: `Bearer ${access}`, Accept: "text/event-stream" },
          signal: controller.signal, cache: "no-store",
        });
        if (response.status === 401) { expireAccess(); continue; }
        if (!response.ok || !response.body) throw new Error(`stream ${response.status}`);
        onState("live");
        pause = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = parseEvents(buffer + value, onEvent);
        }
        onState("reconnecting");
        await wait(300);
      } catch (exc) {
        if (stopped) return;
        onState("reconnecting");
        await wait(pause);
        pause = Math.min(pause * 2, 15000);
      }
    }
  }
  run();
  return () => { stopped = true; if (controller) controller.abort(); };
}

function wait(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
