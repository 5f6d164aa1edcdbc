package dev.podswitch.agent.api;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.control.model.ModelSnapshot;
import dev.podswitch.control.model.Pod;
import dev.podswitch.dataplane.forward.ForwardingTable;
import dev.podswitch.dataplane.forward.LocalEndpoint;
import dev.podswitch.dataplane.packet.SourceRewrite;
import dev.podswitch.dataplane.ring.FrameRing;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code POST /apis/podswitch.dev/v1/namespaces/{ns}/pods/{name}/replay}: frames in the body enter
 * the pod's node as if the pod had sent them — into the node's ring with the pod's port as the
 * input port, so the anti-spoofing check, policy, conntrack, the flow log and the counters see
 * them exactly as they see the pod's own traffic. {@code podswitch replay} sends a capture this way.
 *
 * <p>The body ({@code Content-Type: application/octet-stream}) is a sequence of records, each a
 * 4-byte big-endian length and that many bytes of an Ethernet frame; bodies are bounded by
 * {@code --api-max-body}, so a long capture comes in several requests. Query: {@code rewriteSource=true}
 * makes each frame the pod's first ({@link SourceRewrite}: its MAC and IP as source, the gateway's
 * MAC as destination, checksums fixed); {@code rate=PPS} spaces the frames at that many a second
 * (a paced request may take at most {@link #MAX_PACED_NS}: the client sends short batches).
 * Without a rate, frames go in as fast as the node takes them.
 *
 * <p>Back-pressure, never a drop of our own making: a frame that finds the ring full waits and is
 * offered again ({@link FrameRing#offerIfRoom}, which counts no RING_FULL) until the node has room;
 * a node that takes nothing for {@link #STALL_TIMEOUT_NS} fails the request (503), saying how many
 * frames went in. A frame longer than a ring slot is skipped and counted in the answer, not offered.
 *
 * <p>Threads: this runs on the API's one handler thread, which becomes one more producer of the
 * ring — safe, since {@link FrameRing} is a multi-producer Disruptor ring that the pod's TAP, the
 * tunnel and the memory endpoints already offer to from their own threads; the pipeline drains it
 * on the node's thread as ever. The forwarding table read here is the published, immutable one.
 * The body is rewritten in place (it is this request's own copy). While a replay runs the API
 * answers nothing else, so batches are short: about a body or 5 s, whichever ends first.
 */
final class ReplayResource
{
    static final String CONTENT_TYPE = "application/octet-stream";
    static final int RECORD_HEADER_BYTES = 4;
    /** How long one frame may wait for room in the ring before the request gives up (a node that stopped). */
    static final long STALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** The longest a paced request may last: the API answers one request at a time. */
    static final long MAX_PACED_NS = TimeUnit.SECONDS.toNanos(5);
    static final long MAX_RATE = 100_000_000L;
    private static final long RETRY_PARK_NS = 20_000;

    private ReplayResource()
    {
    }

    /** {@code apis/podswitch.dev/v1/namespaces/{ns}/pods/{name}/replay}, as path segments. */
    static boolean matches(final List<String> path)
    {
        return path.size() == 8 && path.get(0).equals("apis") && path.get(1).equals("podswitch.dev")
            && path.get(2).equals("v1") && path.get(3).equals("namespaces") && path.get(5).equals("pods")
            && path.get(7).equals("replay");
    }

    static ApiResponse inject(final Collection<ClusterNode> nodes, final ModelSnapshot snapshot, final List<String> path,
        final Map<String, List<String>> query, final byte[] body) throws ApiError
    {
        final String key = path.get(4) + "/" + path.get(6);
        final boolean rewriteSource = flag(query, "rewriteSource");
        final long rate = QueryParameters.number(query, "rate", 1, MAX_RATE, 0, "frames a second, from 1 to " + MAX_RATE);
        final List<long[]> frames = records(body);
        if (rate > 0 && (frames.size() - 1) * TimeUnit.SECONDS.toNanos(1) / rate > MAX_PACED_NS)
        {
            throw ApiError.badRequest(frames.size() + " frames at " + rate + " a second take longer than "
                + TimeUnit.NANOSECONDS.toSeconds(MAX_PACED_NS) + " s, the most one request may; send fewer frames a request");
        }
        final Pod pod = snapshot.pods().get(key);
        if (pod == null)
        {
            throw ApiError.notFound("pods \"" + key + "\" not found");
        }
        final ClusterNode node = nodes.stream().filter(n -> n.name().equals(pod.node()) && n.datapath() != null)
            .findFirst().orElse(null);
        if (node == null || pod.attachment() == null)
        {
            throw ApiError.notFound("pod " + key + " runs on node " + pod.node()
                + ", which this daemon does not serve; replay into the agent of that node");
        }
        final ForwardingTable table = node.datapath().table();
        final LocalEndpoint endpoint = table.localByIp(pod.ip());
        if (endpoint == null || !pod.attachment().equals(endpoint.name()))
        {
            throw new ApiError(409, "Conflict", "pod " + key + " has no port on node " + node.name()
                + " (not attached yet, or gone)");
        }
        final FrameRing ring = node.datapath().ring();
        final SourceRewrite rewrite = rewriteSource ? new SourceRewrite(endpoint.mac(), endpoint.ip(), table.gatewayMac())
            : null;
        final MemorySegment bytes = MemorySegment.ofArray(body);
        final long startNs = System.nanoTime();
        long offered = 0;
        long accepted = 0;
        long skippedTooLong = 0;
        long rewritten = 0;
        long waited = 0;
        for (final long[] frame : frames)
        {
            final long offset = frame[0];
            final int length = (int)frame[1];
            if (length > ring.frameCapacity())
            {
                skippedTooLong++;
                continue;
            }
            if (rate > 0)
            {
                waitUntil(startNs + offered * TimeUnit.SECONDS.toNanos(1) / rate);
            }
            offered++;
            if (rewrite != null)
            {
                final SourceRewrite.Result result = rewrite.apply(bytes, offset, length);
                rewritten += result == SourceRewrite.Result.IPV4 || result == SourceRewrite.Result.ARP ? 1 : 0;
            }
            long waitingSinceNs = 0;
            while (!ring.offerIfRoom(endpoint.portId(), bytes, offset, length))
            {
                final long nowNs = System.nanoTime();
                if (waitingSinceNs == 0)
                {
                    waitingSinceNs = nowNs;
                    waited++;
                }
                else if (nowNs - waitingSinceNs > STALL_TIMEOUT_NS || Thread.currentThread().isInterrupted())
                {
                    throw new ApiError(503, "ServiceUnavailable", "node " + node.name() + " took no frame for "
                        + TimeUnit.NANOSECONDS.toSeconds(nowNs - waitingSinceNs) + " s (is the daemon stopping?); "
                        + accepted + " of the " + frames.size() + " frames of this request went in");
                }
                LockSupport.parkNanos(RETRY_PARK_NS);
            }
            accepted++;
        }
        final Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("kind", "ReplayResult");
        answer.put("apiVersion", "podswitch.dev/v1");
        answer.put("pod", key);
        answer.put("node", node.name());
        answer.put("portId", endpoint.portId());
        answer.put("slotBytes", ring.frameCapacity());
        answer.put("frames", frames.size());
        answer.put("accepted", accepted);
        answer.put("skippedTooLong", skippedTooLong);
        if (rewrite != null)
        {
            answer.put("rewritten", rewritten);
        }
        answer.put("waitedForRoom", waited);
        return ApiResponse.ok(answer);
    }

    /** The body's records as (offset, length) pairs; a body that is not whole records is refused before anything goes in. */
    static List<long[]> records(final byte[] body) throws ApiError
    {
        final List<long[]> frames = new ArrayList<>();
        int position = 0;
        while (position < body.length)
        {
            if (body.length - position < RECORD_HEADER_BYTES)
            {
                throw malformed("frame " + (frames.size() + 1) + " at byte " + position + " has " + (body.length - position)
                    + " bytes of its 4-byte length");
            }
            final long length = ((body[position] & 0xFFL) << 24) | ((body[position + 1] & 0xFF) << 16)
                | ((body[position + 2] & 0xFF) << 8) | (body[position + 3] & 0xFF);
            position += RECORD_HEADER_BYTES;
            if (length > body.length - position)
            {
                throw malformed("frame " + (frames.size() + 1) + " at byte " + (position - RECORD_HEADER_BYTES) + " claims "
                    + length + " bytes; " + (body.length - position) + " follow");
            }
            frames.add(new long[] {position, length});
            position += (int)length;
        }
        return frames;
    }

    private static ApiError malformed(final String what)
    {
        return ApiError.badRequest("the body must be frames, each a 4-byte big-endian length and that many bytes ("
            + CONTENT_TYPE + "), but " + what + "; nothing was injected");
    }

    private static boolean flag(final Map<String, List<String>> query, final String name) throws ApiError
    {
        final List<String> values = query.getOrDefault(name, List.of());
        final String value = values.isEmpty() ? "false" : values.getLast();
        return switch (value)
        {
            case "true", "" -> true;
            case "false" -> false;
            default -> throw ApiError.badRequest(name + " must be true or false, not \"" + value + "\"");
        };
    }

    private static void waitUntil(final long deadlineNs)
    {
        long leftNs;
        while ((leftNs = deadlineNs - System.nanoTime()) > 0 && !Thread.currentThread().isInterrupted())
        {
            LockSupport.parkNanos(leftNs);
        }
    }
}
