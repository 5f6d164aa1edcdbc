package dev.podswitch.agent.cni;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the CNI front as a runtime (or anything that can reach the agent's socket) drives it: a
 * few invocations in a row — each its {@code CNI_*} variables and its stdin — against one
 * {@link CniHandler} on {@link FakePodNetwork} and a real {@link AttachmentStore}. Properties, after
 * every invocation ({@link CniFuzzChecks}): the answer is the spec's (exit 0 with the command's
 * result, or exit 1 with an error object whose code is not the catch-all for an exception the
 * handler did not expect); a refused invocation changes nothing; every attachment holds its lease
 * and no lease is left without one; and the store reads back from disk as it is in memory.
 *
 * <p>Input (text, so the seeds in {@code CniHandlerFuzzTestInputs/} read as what they are):
 * invocations separated by a line {@code ----}; each is {@code NAME=value} lines, an empty line,
 * then stdin as bytes. {@code @NETNS@} in a value stands for a network namespace that exists.
 */
class CniHandlerFuzzTest
{
    private static final int MAX_INVOCATIONS = 8;

    @TempDir
    static Path directory;
    private static int runs;

    /** One plugin invocation: what the runtime puts in the environment and on stdin. */
    record Invocation(Map<String, String> environment, byte[] stdin)
    {
    }

    @FuzzTest
    void shouldAnswerAsTheSpecSaysAndKeepStoreAndLeasesInStepWhenGivenAnything(final byte[] input) throws IOException
    {
        final CniFuzzChecks checks = new CniFuzzChecks(directory.resolve("run-" + runs++));
        try
        {
            for (final Invocation invocation : invocations(input, checks.netns()))
            {
                checks.handle(invocation.environment(), invocation.stdin());
            }
        }
        finally
        {
            checks.close();
        }
    }

    static List<Invocation> invocations(final byte[] input, final Path netns)
    {
        final List<Invocation> invocations = new ArrayList<>();
        // ISO-8859-1 maps bytes to chars one to one, so stdin keeps its bytes exactly.
        for (final String part : new String(input, StandardCharsets.ISO_8859_1).split("\n----\n", -1))
        {
            if (invocations.size() == MAX_INVOCATIONS)
            {
                break;
            }
            final int blank = part.indexOf("\n\n");
            final String variables = blank < 0 ? part : part.substring(0, blank);
            final byte[] stdin = blank < 0 ? new byte[0] : part.substring(blank + 2).getBytes(StandardCharsets.ISO_8859_1);
            final Map<String, String> environment = new LinkedHashMap<>();
            for (final String line : variables.split("\n"))
            {
                final int equals = line.indexOf('=');
                if (equals > 0)
                {
                    final String value = new String(line.substring(equals + 1).getBytes(StandardCharsets.ISO_8859_1),
                        StandardCharsets.UTF_8);
                    environment.put(line.substring(0, equals), value.replace("@NETNS@", netns.toString()));
                }
            }
            invocations.add(new Invocation(environment, stdin));
        }
        return invocations;
    }
}
