"""Tiny HTTP/1.1 server on 127.0.0.1:PORT: answers any request with a chunked 200,
sends one complete chunk and the start of a second, then closes the socket."""
import socket, sys, threading
port = int(sys.argv[1]) if len(sys.argv) > 1 else 18480
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(5)
print("listening", port, flush=True)
def handle(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d: break
        buf += d
    first = b'data: {"delta": "Hello"}\n\n'
    second = b'data: {"delta": " world"}\n\n'
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
              + b"%x\r\n" % len(first) + first + b"\r\n"          # one complete chunk
              + b"%x\r\n" % (len(second) + 40) + second)             # announces 40 more bytes than it sends, then closes
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
