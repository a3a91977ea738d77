package dev.loombalancer.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The process locales the jar is tested under. The JDK's socket error messages come from
 * the C library in the process's locale, so a decision that read them would work in
 * English and break in German.
 */
public final class Locales {

    /** Messages in English: what the code was first written against. */
    public static final String ENGLISH = "C.UTF-8";
    /** Messages in German ("Die Adresse wird bereits verwendet", "Zu viele offene Dateien"). */
    public static final String GERMAN = "de_DE.UTF-8";

    private Locales() {
    }

    /** Fails, saying what to install, unless {@code locale} is installed (as {@code locale -a} lists it). */
    public static String require(String locale) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("locale", "-a").redirectErrorStream(true).start();
        String installed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        String wanted = locale.toLowerCase(Locale.ROOT).replace("utf-8", "utf8");
        if (!installed.toLowerCase(Locale.ROOT).lines().anyMatch(wanted::equals)) {
            throw new AssertionError("locale " + locale + " is not installed; install it with: apt-get install locales "
                    + "&& sed -i 's/^# *" + locale + "/" + locale + "/' /etc/locale.gen && locale-gen");
        }
        return locale;
    }
}
