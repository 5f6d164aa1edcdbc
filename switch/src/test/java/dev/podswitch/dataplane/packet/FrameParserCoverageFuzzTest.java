package dev.podswitch.dataplane.packet;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.podswitch.dataplane.stats.DropReason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The coverage-guided half of fuzzing {@link FrameParser} (OVS's {@code flow_extract_target.c}):
 * Jazzer mutates raw frames toward new branches, where {@link FrameParserFuzzTest} draws seeded
 * random ones. Same properties: the parser never throws, gives the verdict the RFC oracle gives,
 * and an accepted frame's offsets lie inside the frame. The frame is copied into native memory
 * that ends where the frame ends, so any read past it is an exception, not a silent garbage read.
 *
 * <p>Without {@code JAZZER_FUZZ} this replays the seed corpus in
 * {@code FrameParserCoverageFuzzTestInputs/} (a valid frame of each kind); {@code .ci/fuzz} fuzzes it.
 */
class FrameParserCoverageFuzzTest
{
    private final FrameParser parser = new FrameParser();
    private final PacketMeta meta = new PacketMeta();

    @FuzzTest
    void shouldAgreeWithTheOracleWhenParsingAnyBytes(final byte[] frame)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment exact = arena.allocate(Math.max(1, frame.length)).asSlice(0, frame.length);
            MemorySegment.copy(MemorySegment.ofArray(frame), 0, exact, 0, frame.length);
            final DropReason reason = parser.parse(exact, 0, frame.length, meta);
            assertEquals(FrameParserFuzzTest.oracle(frame), reason, () -> TestFrames.toHex(frame));
            if (reason == null)
            {
                FrameParserFuzzTest.assertMetaInsideFrame(meta, 0, frame.length);
            }
        }
    }
}
