"""A keep-alive connection is served one request per turn of the hub (gateway/edge.py
EdgeProtocol): a client whose next request is always there already cannot keep the others
waiting."""

import eventlet
from eventlet import wsgi

from gateway.edge import EdgeProtocol


def test_a_busy_keep_alive_connection_does_not_starve_another():
    served: list[str] = []

    def app(environ, start_response):
        served.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    listener = eventlet.listen(("127.0.0.1", 0))
    server = eventlet.spawn(wsgi.server, listener, app, protocol=EdgeProtocol,
                            log_output=False)
    try:
        busy = eventlet.connect(listener.getsockname())
        other = eventlet.connect(listener.getsockname())
        eventlet.sleep(0.05)  # both accepted
        # 200 requests at once on one connection (each one's next is always waiting), then one
        # on the other connection
        busy.sendall(b"".join(f"GET /busy/{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                              for n in range(200)))
        other.sendall(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        with eventlet.Timeout(10):
            while "/other" not in served or len(served) < 201:
                eventlet.sleep(0.01)
        assert served.index("/other") < 5, served.index("/other")
    finally:
        server.kill()
        listener.close()
