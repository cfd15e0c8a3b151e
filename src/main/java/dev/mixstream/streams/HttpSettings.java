package dev.mixstream.streams;

import dev.mixstream.gmm.SettingText;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The HTTP API's settings ({@code mixstream.http.*}).
 *
 * @param port           the port to bind (0 = any free port), or {@link #OFF}
 * @param host           the address to bind
 * @param advertisedHost the host other instances reach this one at, or {@code auto} (this machine's host name)
 * @param authToken      the bearer token every request but the health checks must carry, or null (none)
 * @param maxBodyBytes   larger request bodies are refused
 * @param recentPoints   recent points the dashboard shows per model (kept in memory; 0 = none)
 * @param recentModels   models whose recent points are kept (the most recently updated ones)
 */
public record HttpSettings(int port, String host, String advertisedHost, String authToken, int maxBodyBytes,
                           int recentPoints, int recentModels) {
    /** {@link #port} when there is no HTTP server. */
    public static final int OFF = -1;

    public HttpSettings {
        authToken = authToken == null || authToken.isBlank() ? null : authToken.trim();
    }

    /**
     * Parses a port setting: a number in [0, 65535], or {@code none}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static int port(String text) {
        if (text == null || SettingText.NONE.equalsIgnoreCase(text.trim())) {
            return OFF;
        }
        try {
            int p = Integer.parseInt(text.trim());
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new IllegalArgumentException("must be a port in [0, 65535] or none");
    }

    /** Whether an HTTP server runs. */
    public boolean enabled() {
        return port != OFF;
    }

    /** The same settings on another port (the demo takes a free one). */
    public HttpSettings withPort(int newPort) {
        return new HttpSettings(newPort, host, advertisedHost, authToken, maxBodyBytes, recentPoints, recentModels);
    }

    /** The host name in {@code application.server}: the advertised one, or this machine's name. */
    public String resolvedAdvertisedHost() {
        if (!SettingText.AUTO.equalsIgnoreCase(advertisedHost)) {
            return advertisedHost;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    @Override
    public String toString() { // never the token
        return "HttpSettings[port=" + (enabled() ? port : "none") + ", host=" + host + ", advertisedHost="
                + advertisedHost + ", authToken=" + (authToken == null ? "none" : "[hidden]") + ", maxBodyBytes="
                + maxBodyBytes + "]";
    }
}
