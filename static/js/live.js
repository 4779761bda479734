// The page's one live connection. <body data-live-subscribe="/live/user-5/question-7"> names
// every channel the page needs (live/channels.py builds the path); nginx's comet server (Nchan
// or push-stream) sends what is published on any of them over this one EventSource.
//
// Features register what they handle: on(type, handler) for a message type, onOpen(catchUp)
// for what to fetch from our own endpoints after every (re)connect. Resuming is ours, not the
// comet server's: after any error the EventSource is closed and a new one opened (so no
// Last-Event-ID is ever sent, see deploy/nginx/nchan.conf) and every feature catches up.
// Handlers must be idempotent: a message may arrive twice (a catch-up after the push, or one
// publish to two channels this page holds).
const handlers = new Map();
const openers = [];

export function on(type, handler) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(handler);
}

export function onOpen(catchUp) {
  openers.push(catchUp);
}

export function dispatch(msg) {
  if (!msg || typeof msg !== "object" || typeof msg.type !== "string") return;
  // Too big for the comet server: every feature fetches what it missed instead.
  if (msg.type === "fetch") {
    catchUpAll();
    return;
  }
  for (const handler of handlers.get(msg.type) || []) {
    try {
      handler(msg);
    } catch (error) {
      console.error("live handler", msg.type, error);
    }
  }
}

function catchUpAll() {
  for (const catchUp of openers) {
    try {
      catchUp();
    } catch (error) {
      console.error("live catch-up", error);
    }
  }
}

const url = document.body.dataset.liveSubscribe;
let source = null;
let delay = 1000;
let timer = null;

function setState(state) {
  document.body.dataset.liveState = state;
}

function connect() {
  timer = null;
  source = new EventSource(url);
  source.onopen = () => {
    delay = 1000;
    setState("open");
    // What was published between rendering and subscribing (or while disconnected).
    catchUpAll();
  };
  source.onmessage = (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    dispatch(msg);
  };
  source.onerror = () => {
    // Never let the browser reconnect by itself (it would send Last-Event-ID).
    source.close();
    setState("reconnecting");
    if (timer === null) {
      const wait = delay * (0.5 + Math.random()); // jitter: not every page at once
      delay = Math.min(delay * 2, 30000);
      timer = setTimeout(connect, wait);
    }
  };
}

export function liveEnabled() {
  return Boolean(url) && "EventSource" in window;
}

const closers = [];
// Called on pagehide after the connection is closed (presence says goodbye).
export function onClose(fn) {
  closers.push(fn);
}

if (liveEnabled()) {
  setState("connecting");
  // Feature modules are deferred scripts too: they have all registered by DOMContentLoaded.
  document.addEventListener("DOMContentLoaded", connect, { once: true });
  window.addEventListener("pagehide", () => {
    if (source) source.close();
    closers.forEach((fn) => fn());
  });
}
