// The bench's Node reference: socket.io 4 broadcasting as bench/reference.py does.
// `join` {"feed", "after"} answers what the viewer missed (at most 100) and enters the room;
// POST /api/feeds/<feed>/items emits `item` {"feed", "seq", "item"} to the room.
//     node bench/node/reference.js PORT
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const PAGE = 100;
const log = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => { body += chunk; });
  req.on("end", () => {
    const reply = (status, data) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(data));
    };
    const match = req.url.match(/^\/api\/feeds\/([^/]+)\/items$/);
    if (req.method === "POST" && match) {
      const data = JSON.parse(body);
      const item = { id: log.length + 1, text: data.text, author: data.author || {}, created_at: new Date().toISOString() };
      const event = { feed: match[1], seq: log.length + 1, item };
      log.push(event);
      io.to(`feed:${match[1]}`).emit("item", event);
      reply(201, { ...item, seq: event.seq });
    } else if (req.url === "/api/feeds") {
      reply(req.method === "POST" ? 201 : 200, req.method === "POST" ? JSON.parse(body) : [{ name: "bench", last_seq: log.length }]);
    } else {
      reply(404, { error: "not found" });
    }
  });
});
server.on("connection", (socket) => socket.setNoDelay(true));
const io = new Server(server, { transports: ["websocket"], perMessageDeflate: false });
io.on("connection", (socket) => {
  socket.on("join", (data, ack) => {
    const after = Number(data.after || 0);
    const missed = log.slice(after, after + PAGE + 1);
    const more = missed.length > PAGE;
    if (!more) socket.join(`feed:${data.feed}`);
    const events = missed.slice(0, PAGE);
    ack({ ok: true, more, last_seq: after + events.length, events: events.map((e) => ({ event: "item", data: e })) });
  });
});
server.listen(Number(process.argv[2]), "127.0.0.1");
