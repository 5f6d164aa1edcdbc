package dev.podswitch.dataplane.flow;

/** Takes the records a {@link FlowLog#read} copies out; the record is reused, so copy what you keep. */
@FunctionalInterface
public interface FlowSink
{
    void accept(FlowRecord record);
}
