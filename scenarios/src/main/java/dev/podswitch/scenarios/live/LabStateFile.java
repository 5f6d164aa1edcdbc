package dev.podswitch.scenarios.live;

import dev.podswitch.control.live.LiveLab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a {@code podswitch up} lab made, on disk, so {@code podswitch down} can remove it from
 * another terminal or after a crash: one small JSON file per lab, {@code lab-<pid>.json}, in
 * {@code $PODSWITCH_STATE_DIR}, else {@code /run/podswitch} (root), else
 * {@code $XDG_RUNTIME_DIR/podswitch}. Rewritten (atomically) after every namespace made or
 * removed. Each pod's TAP link has its namespace's name, so the namespaces name the links too.
 * {@code socket} is the lab's capture endpoint ({@code lab-<pid>.sock} beside the file, see
 * the capture server) while it listens, else null; {@code api} is the lab's control API socket
 * ({@code lab-<pid>.api.sock}: {@code podswitch get|apply|label …} find the lab by it).
 */
public record LabStateFile(long pid, String scenario, List<String> namespaces, String socket, String api)
{
    private static final Pattern PID = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)");
    private static final Pattern SCENARIO = Pattern.compile("\"scenario\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern NAMESPACES = Pattern.compile("\"namespaces\"\\s*:\\s*\\[([^\\]]*)\\]");
    private static final Pattern NAME = Pattern.compile("\"(" + LiveLab.NAME_PREFIX + "[0-9A-Za-z]+)\"");
    private static final Pattern SOCKET = Pattern.compile("\"socket\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern API = Pattern.compile("\"api\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    public LabStateFile
    {
        namespaces = List.copyOf(namespaces);
    }

    public LabStateFile(final long pid, final String scenario, final List<String> namespaces)
    {
        this(pid, scenario, namespaces, null, null);
    }

    public LabStateFile(final long pid, final String scenario, final List<String> namespaces, final String socket)
    {
        this(pid, scenario, namespaces, socket, null);
    }

    public static Path defaultDirectory()
    {
        final String explicit = System.getenv("PODSWITCH_STATE_DIR");
        if (explicit != null && !explicit.isBlank())
        {
            return Path.of(explicit);
        }
        final Path run = Path.of("/run");
        if (Files.isDirectory(run) && Files.isWritable(run))
        {
            return run.resolve("podswitch");
        }
        final String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank())
        {
            return Path.of(runtime, "podswitch");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "podswitch-" + System.getProperty("user.name"));
    }

    public static Path fileFor(final Path directory, final long pid)
    {
        return directory.resolve("lab-" + pid + ".json");
    }

    /** Where the lab of {@code pid} listens for {@code podswitch capture}. */
    public static Path socketFor(final Path directory, final long pid)
    {
        return directory.resolve("lab-" + pid + ".sock");
    }

    /** Where the lab of {@code pid} serves the control API. */
    public static Path apiSocketFor(final Path directory, final long pid)
    {
        return directory.resolve("lab-" + pid + ".api.sock");
    }

    /** The lab state in {@code file}, or null when it cannot be read (gone meanwhile, damaged). */
    public static LabStateFile read(final Path file)
    {
        try
        {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        }
        catch (final IOException | RuntimeException unreadable)
        {
            return null;
        }
    }

    public String toJson()
    {
        final StringBuilder json = new StringBuilder("{\"pid\": ").append(pid).append(", \"scenario\": \"")
            .append(escape(scenario)).append("\", \"namespaces\": [");
        for (int i = 0; i < namespaces.size(); i++)
        {
            json.append(i == 0 ? "" : ", ").append('"').append(namespaces.get(i)).append('"');
        }
        json.append(']');
        if (socket != null)
        {
            json.append(", \"socket\": \"").append(escape(socket)).append('"');
        }
        if (api != null)
        {
            json.append(", \"api\": \"").append(escape(api)).append('"');
        }
        return json.append("}\n").toString();
    }

    private static String escape(final String text)
    {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Writes to a temporary file and renames it over the old one, so a reader never sees half a file. */
    public void write(final Path directory)
    {
        try
        {
            Files.createDirectories(directory);
            final Path target = fileFor(directory, pid);
            final Path temporary = directory.resolve("." + target.getFileName() + ".tmp");
            Files.writeString(temporary, toJson(), StandardCharsets.UTF_8);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException("cannot write the lab state file in " + directory, failed);
        }
    }

    /** Only {@code psw…} names are read back: a damaged or forged file cannot make down delete anything else. */
    public static LabStateFile parse(final String json)
    {
        final Matcher pid = PID.matcher(json);
        final Matcher scenario = SCENARIO.matcher(json);
        final Matcher namespaces = NAMESPACES.matcher(json);
        final Matcher socket = SOCKET.matcher(json);
        final Matcher api = API.matcher(json);
        final List<String> names = new ArrayList<>();
        if (namespaces.find())
        {
            final Matcher name = NAME.matcher(namespaces.group(1));
            while (name.find())
            {
                names.add(name.group(1));
            }
        }
        return new LabStateFile(pid.find() ? Long.parseLong(pid.group(1)) : 0,
            scenario.find() ? unescape(scenario.group(1)) : "", names, socket.find() ? unescape(socket.group(1)) : null,
            api.find() ? unescape(api.group(1)) : null);
    }

    private static String unescape(final String quoted)
    {
        final StringBuilder text = new StringBuilder(quoted.length());
        for (int i = 0; i < quoted.length(); i++)
        {
            final char c = quoted.charAt(i);
            if (c == '\\' && i + 1 < quoted.length())
            {
                i++;
                text.append(quoted.charAt(i));
            }
            else
            {
                text.append(c);
            }
        }
        return text.toString();
    }

    /** Every {@code lab-*.json} in {@code directory}, oldest name first. */
    public static List<Path> list(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory))
        {
            return files.filter(file -> file.getFileName().toString().matches("lab-\\d+\\.json")).sorted().toList();
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException("cannot list " + directory, failed);
        }
    }
}
