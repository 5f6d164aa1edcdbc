package dev.podswitch.agent.metrics;

import dev.podswitch.agent.cni.CniRequestListener;
import dev.podswitch.cni.CniVersions;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.List;
import java.util.Map;

/**
 * {@code podswitch_cni_requests_total{command,result}} and
 * {@code podswitch_cni_request_duration_seconds{command}}, counted as the agent answers each CNI
 * request (a control-plane rate: a handful a second at most, so a shared counter costs nothing).
 * Label values are bounded: a command outside the spec's is {@code OTHER}, a result is {@code ok}
 * or the name of one of the error codes podswitch answers with.
 */
public final class CniMetrics implements CniRequestListener
{
    static final List<String> COMMANDS = List.of("ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION");
    private static final String OTHER = "OTHER";
    private static final Map<Integer, String> RESULTS = Map.ofEntries(
        Map.entry(0, "ok"),
        Map.entry(CniVersions.INCOMPATIBLE_VERSION, "incompatible_version"),
        Map.entry(CniVersions.UNSUPPORTED_FIELD, "unsupported_field"),
        Map.entry(CniVersions.UNKNOWN_CONTAINER, "unknown_container"),
        Map.entry(CniVersions.INVALID_ENVIRONMENT, "invalid_environment"),
        Map.entry(CniVersions.IO_FAILURE, "io_failure"),
        Map.entry(CniVersions.DECODING_FAILURE, "decoding_failure"),
        Map.entry(CniVersions.INVALID_CONFIG, "invalid_config"),
        Map.entry(CniVersions.TRY_AGAIN_LATER, "try_again_later"),
        Map.entry(CniVersions.NOT_AVAILABLE, "not_available"),
        Map.entry(CniVersions.ALREADY_ATTACHED, "already_attached"),
        Map.entry(CniVersions.ATTACH_FAILED, "attach_failed"),
        Map.entry(CniVersions.CHECK_FAILED, "check_failed"));
    /** ADD makes a TAP and moves it into a namespace: milliseconds; a stuck one shows up past 1 s. */
    private static final double[] DURATION_BOUNDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
        10};

    private final Counter requests;
    private final Histogram durations;

    private CniMetrics(final Counter requests, final Histogram durations)
    {
        this.requests = requests;
        this.durations = durations;
    }

    public static CniMetrics register(final PrometheusRegistry registry)
    {
        final Counter requests = Counter.builder().name("podswitch_cni_requests_total")
            .help("CNI requests the agent answered, by CNI_COMMAND and result (ok or the CNI error's name).")
            .labelNames("command", "result").register(registry);
        final Histogram durations = Histogram.builder().name("podswitch_cni_request_duration_seconds").unit(Unit.SECONDS)
            .help("Time from accepting a CNI request to writing its answer, waiting for the agent's driver included.")
            .labelNames("command").classicOnly().classicUpperBounds(DURATION_BOUNDS).register(registry);
        // Present from the start, so that rate() over a fresh agent is 0 rather than absent.
        for (final String command : COMMANDS)
        {
            requests.initLabelValues(command, "ok");
            durations.initLabelValues(command);
        }
        return new CniMetrics(requests, durations);
    }

    static String command(final String sent)
    {
        // List.of's contains throws on null: a request without CNI_COMMAND is answered too.
        return sent != null && (COMMANDS.contains(sent) || UNREAD.equals(sent)) ? sent : OTHER;
    }

    static String result(final int errorCode)
    {
        final String named = RESULTS.get(errorCode);
        return named != null ? named : "error_" + errorCode;
    }

    @Override
    public void answered(final String command, final int errorCode, final double seconds)
    {
        final String label = command(command);
        requests.labelValues(label, result(errorCode)).inc();
        durations.labelValues(label).observe(seconds);
    }
}
