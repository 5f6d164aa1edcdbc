package dev.podswitch.agent.cni;

import dev.podswitch.cli.Main;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code podswitch agent} (the one-node default cluster) in a JVM of its own on this test's class
 * path, so that it can die as a killed daemon dies — {@link CrashPoint} halts it, with no cleanup —
 * and a new one can start over the same state directory. Only the process this class started is
 * ever stopped.
 */
final class AgentProcess implements AutoCloseable
{
    private static final long START_TIMEOUT_SECONDS = 120;
    private final Process process;
    private final Path log;

    private AgentProcess(final Process process, final Path log)
    {
        this.process = process;
        this.log = log;
    }

    /** Starts an agent and waits until its CNI socket answers; {@code crashAt} null for one that never halts. */
    static AgentProcess start(final Path work, final Path state, final Path socket, final Path conf,
        final CrashPoint crashAt) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        if (crashAt != null)
        {
            command.add("-D" + CrashPoint.PROPERTY + "=" + crashAt.name());
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "agent",
            "--state-dir", state.toString(), "--socket", socket.toString(),
            "--api-socket", work.resolve("run/api.sock").toString(), "--conf-dir", conf.toString()));
        final Path log = Files.createTempFile(work, "agent-", ".log");
        final AgentProcess agent = new AgentProcess(new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start(), log);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (!CniAgent.answers(socket))
        {
            if (!agent.process.isAlive() || System.nanoTime() > deadline)
            {
                agent.close();
                throw new IllegalStateException("the agent did not start: " + agent.log());
            }
            Thread.sleep(100);
        }
        return agent;
    }

    /** Waits for the agent to end by itself (a crash point halts it); returns its exit status. */
    int awaitExit() throws InterruptedException, IOException
    {
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            throw new IllegalStateException("the agent did not halt: " + log());
        }
        return process.exitValue();
    }

    String log() throws IOException
    {
        return Files.readString(log);
    }

    /** SIGTERM (the agent keeps its pods for the next run), then SIGKILL if it does not stop. */
    @Override
    public void close() throws InterruptedException
    {
        if (process.isAlive())
        {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
