package dev.podswitch.scenarios.run;

/** What a run reports as it goes, so long runs show progress and output streams step by step. */
public interface RunListener
{
    RunListener NONE = new RunListener()
    {
    };

    default void clusterBuilt(final ScenarioResult.NodeInfo[] nodes, final Lab lab)
    {
    }

    default void probesProgress(final int done, final int total)
    {
    }

    default void stepFinished(final int index, final StepResult step, final Lab lab)
    {
    }
}
