package dev.loombalancer.admin;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * What every admin request must be before a handler sees it: HTTP/1.x, the endpoint's
 * exact path, its one method, and no body (no endpoint takes one).
 *
 * <p>The JDK's server matches contexts by prefix, so without the path check
 * {@code /status%00} or {@code /statusX} would be answered as {@code /status}; and it
 * accepts any method and protocol version. Found by the hostile-input scenario.
 */
final class StrictRequests extends Filter {

    private final String method;

    StrictRequests(String method) {
        this.method = method;
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        String protocol = exchange.getProtocol();
        if (!protocol.equals("HTTP/1.1") && !protocol.equals("HTTP/1.0")) {
            AdminServer.error(exchange, 505, "HTTP/1.1 only");
            return;
        }
        String context = exchange.getHttpContext().getPath();
        String path = exchange.getRequestURI().getPath();
        if (!context.endsWith("/") && !context.equals(path)) {
            AdminServer.error(exchange, 404, "no such endpoint; there are /metrics, /status, /healthz "
                    + "and POST [/services/NAME]/backends/HOST:PORT/drain|enable|add|remove");
            return;
        }
        if (!exchange.getRequestMethod().equals(method)) {
            exchange.getResponseHeaders().set("Allow", method);
            AdminServer.error(exchange, 405, exchange.getRequestMethod() + " is not allowed here; use " + method);
            return;
        }
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (exchange.getRequestHeaders().containsKey("Transfer-Encoding") || length != null && !length.equals("0")) {
            AdminServer.error(exchange, 413, "this endpoint takes no request body");
            return;
        }
        chain.doFilter(exchange);
    }

    @Override
    public String description() {
        return "HTTP/1.x, exact path, " + method + " only, no body";
    }
}
