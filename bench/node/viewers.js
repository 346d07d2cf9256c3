// Many Socket.IO viewers of one feed in one Node process: the bench's load client when Node is there.
//
// The same raw Engine.IO v4 / Socket.IO v5 client over real websockets as bench/viewers.py,
// with the same command line, stdin commands and results (bench/fanout.py runs either), on
// Node's event loop: a message costs a few µs here against ~20 µs in the Python client, so
// one core holds 10,000 viewers and a per-event server's 100k messages a second. Nothing
// from npm: net, crypto and zlib only. Like a browser, each viewer offers permessage-deflate
// and inflates when the server accepts it.
//
//   node bench/node/viewers.js URL FEED COUNT OUT [JOIN_SECONDS] [--frames] [--hold]
//
// It prints "joined J failed F" once every viewer has joined (with --hold: connected) or
// failed, then obeys, on stdin, "storm AFTER" (every held viewer joins from seq AFTER at
// once) and "drain POSTED SECONDS": it waits until every viewer has all POSTED items or the
// seconds are up, writes its results to OUT (JSON) and OUT.lat (latencies, float64) and exits.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const net = require("net");
const zlib = require("zlib");
const { performance } = require("perf_hooks");

const MARKER = Buffer.from("tsbench:");
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
// Viewers connecting or joining at once: more would only queue in the server, whose joins would
// then wait behind ever more connections (and a join's acknowledgement is what counts).
const CONNECTING_AT_ONCE = 64;
const LIFETIME_SECONDS = 900; // a client whose orchestrator vanished still ends

const now = () => (performance.timeOrigin + performance.now()) / 1000; // time.time() in Python

function wsFrame(text, opcode = 0x1) {
  const data = Buffer.from(text);
  const size = data.length;
  const head = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + 4 + size);
  frame[0] = 0x80 | opcode;
  if (size < 126) frame[1] = 0x80 | size;
  else if (size < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(size, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(size), 2);
  }
  const mask = crypto.randomBytes(4);
  mask.copy(frame, head);
  for (let i = 0; i < size; i++) frame[head + 4 + i] = data[i] ^ mask[i & 3];
  return frame;
}

// Every item of a message as [index, ingest time]: "tsbench:<index>:<time>:" (once per item).
function markers(message) {
  const found = new Map();
  let start = message.indexOf(MARKER);
  while (start >= 0) {
    start += MARKER.length;
    const middle = message.indexOf(0x3a, start);
    const end = message.indexOf(0x3a, middle + 1);
    const index = Number(message.toString("latin1", start, middle));
    if (!found.has(index)) found.set(index, Number(message.toString("latin1", middle + 1, end)));
    start = message.indexOf(MARKER, end);
  }
  return found;
}

class Viewer {
  constructor(client, host, port) {
    this.client = client;
    this.connected = false;
    this.joined = false;
    this.failed = null;
    this.after = 0;
    this.joinSent = 0;
    this.caughtUp = 0;
    this.caughtUpEvents = 0;
    this.worker = null;
    this.count = 0;
    this.duplicates = 0;
    this.bytes = 0;
    this.lastReceive = 0;
    this.seen = new Uint8Array(1024);
    this.buf = null;
    this.parts = [];
    this.compressed = false;
    this.inflater = null;
    this.upgraded = false;
    this.sock = net.connect({ host, port });
    this.sock.setNoDelay(true);
    this.sock.on("connect", () => this.upgrade(host, port));
    this.sock.on("data", (data) => this.onData(data));
    this.sock.on("error", (error) => this.fail(`socket: ${error.message}`));
    this.sock.on("close", () => this.fail("connection closed"));
  }

  upgrade(host, port) {
    const key = crypto.randomBytes(16).toString("base64");
    this.sock.write(
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
        `Host: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
    );
  }

  fail(reason) {
    if (!this.failed) {
      this.failed = reason;
      this.client.settled(this);
    }
  }

  send(text, opcode) {
    if (!this.sock.destroyed) this.sock.write(wsFrame(text, opcode));
  }

  onData(data) {
    let buf = this.buf ? Buffer.concat([this.buf, data]) : data;
    let pos = 0;
    if (!this.upgraded) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        this.buf = buf;
        return;
      }
      const head = buf.toString("latin1", 0, end);
      if (!/^HTTP\/1\.1 101 /.test(head)) return this.fail(head.slice(0, 200));
      if (/permessage-deflate/i.test(head)) this.inflater = zlib.createInflateRaw();
      this.upgraded = true;
      pos = end + 4;
    }
    const t = now();
    while (buf.length - pos >= 2) {
      const first = buf[pos];
      let length = buf[pos + 1] & 0x7f;
      let head = 2;
      if (length === 126) {
        if (buf.length - pos < 4) break;
        length = buf.readUInt16BE(pos + 2);
        head = 4;
      } else if (length === 127) {
        if (buf.length - pos < 10) break;
        length = Number(buf.readBigUInt64BE(pos + 2));
        head = 10;
      }
      if (buf.length - pos < head + length) break;
      this.frame(first, buf.subarray(pos + head, pos + head + length), t);
      pos += head + length;
    }
    this.buf = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
  }

  frame(first, payload, t) {
    const opcode = first & 0x0f;
    if (opcode === 0x1 || opcode === 0x2) {
      this.compressed = Boolean(first & 0x40);
      this.parts = [];
    }
    if (opcode <= 0x2) {
      this.parts.push(payload);
      if (first & 0x80) {
        const message = this.parts.length === 1 ? payload : Buffer.concat(this.parts);
        this.parts = [];
        this.bytes += message.length;
        if (this.compressed) this.inflate(message, t);
        else this.packet(message, t);
      }
    } else if (opcode === 0x8) this.fail("closed by the server");
    else if (opcode === 0x9) this.send(payload.toString(), 0xa);
  }

  inflate(message, t) {
    // One streaming inflater per connection (the server may keep its window across messages);
    // its callbacks come in order, so packets are handled in the order they arrived.
    const chunks = [];
    const collect = (chunk) => chunks.push(chunk);
    this.inflater.on("data", collect);
    this.inflater.write(Buffer.concat([message, TAIL]));
    this.inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      this.inflater.removeListener("data", collect);
      this.packet(Buffer.concat(chunks), t);
    });
  }

  packet(message, t) {
    if (message[0] === 0x34 && message[1] === 0x32) {
      // "42": an event, one item or a frame of several
      for (const [index, sent] of markers(message)) if (this.see(index, t)) this.client.latencies.push(t - sent);
    } else if (message.length === 1 && message[0] === 0x32) this.send("3");
    else if (message[0] === 0x34 && message[1] === 0x33 && message[2] === 0x30) {
      const ack = JSON.parse(message.toString("utf8", 3))[0];
      if (!ack.ok) return this.fail(`join refused: ${ack.error}`);
      this.worker = ack.worker ?? null;
      for (const index of markers(message).keys()) this.caughtUpEvents += this.see(index, t);
      this.after = ack.last_seq ?? this.after;
      if (ack.more) this.join(this.after);
      else {
        this.joined = true;
        this.caughtUp = t;
        this.client.settled(this);
      }
    } else if (message[0] === 0x34 && message[1] === 0x30) {
      this.connected = true;
      if (this.client.hold) this.client.settled(this);
      else this.join(0);
    } else if (message[0] === 0x30) this.send("40");
    else if (message[0] === 0x31 || (message[0] === 0x34 && (message[1] === 0x31 || message[1] === 0x34)))
      this.fail(`disconnected: ${message.toString("utf8", 0, 200)}`);
  }

  join(after) {
    this.after = after;
    this.joinSent = this.joinSent || now();
    const request = { feed: this.client.feed, after };
    if (this.client.frames) request.frames = true;
    this.send("420" + JSON.stringify(["join", request]));
  }

  see(index, t) {
    if (index >= this.seen.length) {
      const grown = new Uint8Array(Math.max(index + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[index]) {
      this.duplicates += 1;
      return false;
    }
    this.seen[index] = 1;
    this.count += 1;
    this.lastReceive = t;
    return true;
  }
}

class Client {
  constructor(url, feed, count, out, joinSeconds, frames, hold) {
    const parsed = new URL(url);
    this.host = parsed.hostname;
    this.port = Number(parsed.port || 80);
    Object.assign(this, { feed, count, out, frames, hold });
    this.viewers = [];
    this.latencies = [];
    this.errors = [];
    this.arriving = 0;
    this.pending = new Set(); // viewers not yet joined (connected, with --hold) nor failed
    this.announced = false;
    this.drain = null;
    setTimeout(() => this.announce(), joinSeconds * 1000);
    setTimeout(() => process.exit(2), LIFETIME_SECONDS * 1000).unref();
    this.connectMore();
  }

  connectMore() {
    while (this.viewers.length < this.count && this.arriving < CONNECTING_AT_ONCE) {
      const viewer = new Viewer(this, this.host, this.port);
      this.viewers.push(viewer);
      this.pending.add(viewer);
      this.arriving += 1;
      viewer.arriving = true;
    }
  }

  settle(viewer) {
    if (viewer.arriving) {
      viewer.arriving = false;
      this.arriving -= 1;
      this.connectMore();
    }
  }

  settled(viewer) {
    this.settle(viewer); // joined (with --hold: connected) or failed, its place is free
    this.pending.delete(viewer);
    if (this.viewers.length === this.count && this.pending.size === 0) this.announce();
    if (this.drain) this.checkDrain();
  }

  announce() {
    if (this.announced) return;
    this.announced = true;
    const ready = this.viewers.filter((v) => !v.failed && (this.hold ? v.connected : v.joined)).length;
    process.stdout.write(`joined ${ready} failed ${this.count - ready}\n`);
  }

  command(line) {
    const [name, ...args] = line.trim().split(/\s+/);
    if (name === "storm") {
      for (const viewer of this.viewers) if (viewer.connected && !viewer.failed) viewer.join(Number(args[0]));
    } else if (name === "drain") {
      this.drain = { posted: Number(args[0]) };
      setTimeout(() => this.finish(), Number(args[1]) * 1000);
      this.drainCheck = setInterval(() => this.checkDrain(), 50);
    }
  }

  checkDrain() {
    if (this.viewers.every((v) => v.failed || v.count >= this.drain.posted)) this.finish();
  }

  finish() {
    if (this.finished) return;
    this.finished = true;
    const usage = process.cpuUsage();
    const result = {
      viewers: this.viewers.map((v) => ({
        joined: v.joined,
        worker: v.worker,
        join_sent: v.joinSent,
        caught_up: v.caughtUp,
        caught_up_events: v.caughtUpEvents,
        failed: v.failed,
        count: v.count,
        duplicates: v.duplicates,
        bytes: v.bytes,
        deflate: v.inflater !== null,
        last_receive: v.lastReceive,
      })),
      errors: this.errors,
      cpu_seconds: (usage.user + usage.system) / 1e6,
    };
    fs.writeFileSync(`${this.out}.lat`, Buffer.from(Float64Array.from(this.latencies).buffer));
    fs.writeFileSync(this.out, JSON.stringify(result));
    for (const viewer of this.viewers) viewer.sock.destroy();
    process.exit(0);
  }
}

function main() {
  const flags = new Set(process.argv.slice(2).filter((arg) => arg.startsWith("--")));
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
  const joinSeconds = args[4] === undefined ? 60 : Number(args[4]);
  const client = new Client(args[0], args[1], Number(args[2]), args[3], joinSeconds, flags.has("--frames"), flags.has("--hold"));
  let input = "";
  process.stdin.on("data", (chunk) => {
    input += chunk;
    let newline;
    while ((newline = input.indexOf("\n")) >= 0) {
      const line = input.slice(0, newline);
      input = input.slice(newline + 1);
      if (line.trim()) client.command(line);
    }
  });
  process.stdin.on("end", () => process.exit(0)); // the orchestrator is gone
}

main();
