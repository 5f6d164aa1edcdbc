package dev.podswitch.agent.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** One {@code GET /metrics} as Prometheus makes it, and its samples looked up by name and labels. */
final class Scrape
{
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    final String text;

    private Scrape(final String text)
    {
        this.text = text;
    }

    /** Scrapes {@code url} (a loopback address of the test's own server), asking for the text format. */
    static Scrape of(final String url) throws IOException, InterruptedException
    {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build())
        {
            final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).header("Accept", "text/plain; version=0.0.4").GET().build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            return new Scrape(response.body());
        }
    }

    /** The value of the one sample {@code name} whose labels include {@code labels} (name, value, …). */
    double value(final String name, final String... labels)
    {
        Double found = null;
        for (final String line : text.split("\n"))
        {
            final Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches() || !sample.group(1).equals(name) || !hasLabels(sample.group(2), labels))
            {
                continue;
            }
            if (found != null)
            {
                fail("more than one sample " + name + " with " + String.join(",", labels) + " in\n" + text);
            }
            found = Double.parseDouble(sample.group(3));
        }
        if (found == null)
        {
            fail("no sample " + name + " with " + String.join(",", labels) + " in\n" + text);
        }
        return found;
    }

    /** How many samples named {@code name} the scrape has. */
    long count(final String name)
    {
        return text.lines().map(SAMPLE::matcher).filter(Matcher::matches).filter(m -> m.group(1).equals(name)).count();
    }

    private static boolean hasLabels(final String labelText, final String... wanted)
    {
        final Map<String, String> labels = new LinkedHashMap<>();
        if (labelText != null)
        {
            final Matcher label = LABEL.matcher(labelText);
            while (label.find())
            {
                labels.put(label.group(1), label.group(2));
            }
        }
        for (int i = 0; i < wanted.length; i += 2)
        {
            if (!wanted[i + 1].equals(labels.get(wanted[i])))
            {
                return false;
            }
        }
        return true;
    }
}
