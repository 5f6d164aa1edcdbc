package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.SourceLocation;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads files and composes YAML text into snakeyaml nodes, not Java objects, so that every value
 * keeps its line and column. Syntax errors become {@link ScenarioException}s at snakeyaml's mark;
 * text that is too large, too deep or expands too far through aliases is refused the same way
 * ({@link YamlLimits}), before anything walks it.
 */
final class YamlDocuments
{
    /** snakeyaml's own default limit (in code points), applied to the file's bytes before decoding. */
    static final int MAX_FILE_BYTES = 3 * 1024 * 1024;

    private YamlDocuments()
    {
    }

    static String read(final Path file, final String what) throws ScenarioException
    {
        // Read at most one byte more than snakeyaml takes, so /dev/zero or a huge file is an error, not an
        // OutOfMemoryError; a FIFO nobody writes to still blocks, as it would for any reader.
        try (InputStream in = Files.newInputStream(file))
        {
            final byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES)
            {
                throw new ScenarioException(new SourceLocation(file, 0, 0), null, "", what + " is larger than "
                    + MAX_FILE_BYTES / (1024 * 1024) + " MiB, more than podswitch reads: split it");
            }
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        }
        catch (final CharacterCodingException ex)
        {
            throw new ScenarioException(new SourceLocation(file, 0, 0), null, "", what + " is not UTF-8 text");
        }
        catch (final NoSuchFileException ex)
        {
            throw new ScenarioException(new SourceLocation(file, 0, 0), null, "", what + " not found");
        }
        catch (final IOException ex)
        {
            throw new ScenarioException(new SourceLocation(file, 0, 0), null, "", "cannot read " + what + ": " + ex);
        }
    }

    /** All documents of {@code text}; an empty document ({@code ---} followed by nothing) is left out. */
    static List<Node> composeAll(final String text, final Origin origin) throws ScenarioException
    {
        // The core schema reads true/false/null/ints as YAML 1.2 does; "yes" stays a string.
        final LoadSettings settings = LoadSettings.builder()
            .setLabel(origin.file().toString())
            .setSchema(new CoreSchema())
            .setAllowRecursiveKeys(false)
            .setCodePointLimit(MAX_FILE_BYTES)
            .build();
        final List<Node> documents = new ArrayList<>();
        try
        {
            YamlLimits.checkNesting(new Parse(settings).parseString(text), origin);
            for (final Node node : new Compose(settings).composeAllFromString(text))
            {
                if (!Values.isNull(node))
                {
                    documents.add(node);
                }
            }
        }
        catch (final MarkedYamlEngineException ex)
        {
            throw syntaxError(ex, origin);
        }
        catch (final YamlEngineException ex)
        {
            throw origin.error(origin.at(0, 0), "", "invalid YAML: " + ex.getMessage());
        }
        YamlLimits.checkExpansion(documents, origin);
        return documents;
    }

    private static ScenarioException syntaxError(final MarkedYamlEngineException ex, final Origin origin)
    {
        final Mark mark = ex.getProblemMark().or(ex::getContextMark).orElse(null);
        final SourceLocation where = mark == null ? origin.at(0, 0) : origin.location(mark);
        final StringBuilder problem = new StringBuilder("invalid YAML: ").append(ex.getProblem());
        if (ex.getContext() != null)
        {
            problem.append(" (").append(ex.getContext()).append(")");
        }
        final String line = mark == null ? "" : origin.line(mark.getLine());
        if (line.contains("**"))
        {
            problem.append("; `**` looks like markdown emphasis pasted in from notes: remove it");
        }
        else if (line.indexOf('\t') >= 0)
        {
            problem.append("; YAML does not allow tabs for indentation: use spaces");
        }
        return origin.error(where, "", problem.toString());
    }
}
