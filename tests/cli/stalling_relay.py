"""A TCP relay on loopback between connctl and a real server that stops
passing the server's bytes on once a client has sent a given byte string (a
query's text): a network that no longer answers, in the middle of an
extraction. Nothing is parsed or answered in the server's place."""

import socket
import threading


class StallingRelay:
    def __init__(self, target_port, trigger):
        self.target_port = target_port
        self.trigger = trigger
        self.stalled = threading.Event()  # a client sent the trigger
        self._closing = threading.Event()
        self._sockets = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._closing.set()
        with self._lock:
            for s in [self._listener, *self._sockets]:
                try:
                    s.close()
                except OSError:
                    pass

    def _accept(self):
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pass, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pass, args=(server, client, False), daemon=True).start()

    def _pass(self, source, sink, from_client):
        seen = b""
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_client:
                    seen = (seen + data)[-(len(self.trigger) + 65536):]
                    if self.trigger in seen:
                        self.stalled.set()
                elif self.stalled.is_set():
                    self._closing.wait()  # the server's bytes go nowhere from now on
                    break
                sink.sendall(data)
        except OSError:
            pass
