package dev.podswitch.scenarios.load;

import dev.podswitch.scenarios.model.SourceLocation;

import java.nio.file.Path;

/**
 * Invalid input: a scenario or manifest file that cannot be loaded. The CLI maps it to exit status
 * 2 and prints {@link #getMessage()}, which reads
 * {@code file:line:column: [document: ]fieldPath: problem}, e.g.
 * {@code scenarios/x.yaml:14:7: steps[2].expect[0].port: must be 1-65535 for TCP, got 70000}.
 *
 * <p>Lines and columns are 1-based; both are 0 when the problem concerns the whole file (it cannot
 * be read). {@code document} is null for scenario fields and says which manifest document of which
 * file or block for manifests, whose field paths follow the API server's style
 * ({@code spec.ingress[0].ports[1].endPort}).
 */
public final class ScenarioException extends Exception
{
    private final SourceLocation where;
    private final String document;
    private final String fieldPath;
    private final String problem;

    public ScenarioException(
        final SourceLocation where,
        final String document,
        final String fieldPath,
        final String problem)
    {
        super(format(where, document, fieldPath, problem), null, false, false);
        this.where = where;
        this.document = document;
        this.fieldPath = fieldPath == null ? "" : fieldPath;
        this.problem = problem;
    }

    public SourceLocation where()
    {
        return where;
    }

    public Path file()
    {
        return where.file();
    }

    public int line()
    {
        return where.line();
    }

    public int column()
    {
        return where.column();
    }

    /** Nullable: which manifest document, e.g. "document 2, applied by steps[1].apply[0]". */
    public String document()
    {
        return document;
    }

    /** The field at fault, empty when the problem is the file or document as a whole. */
    public String fieldPath()
    {
        return fieldPath;
    }

    /** The message without its location prefix. */
    public String problem()
    {
        return problem;
    }

    private static String format(
        final SourceLocation where,
        final String document,
        final String fieldPath,
        final String problem)
    {
        final StringBuilder message = new StringBuilder().append(where).append(": ");
        if (document != null)
        {
            message.append(document).append(": ");
        }
        if (fieldPath != null && !fieldPath.isEmpty())
        {
            message.append(fieldPath).append(": ");
        }
        return message.append(problem).toString();
    }
}
