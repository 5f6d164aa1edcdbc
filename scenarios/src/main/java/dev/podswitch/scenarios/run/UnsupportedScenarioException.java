package dev.podswitch.scenarios.run;

/**
 * The scenario asks for something this build cannot do yet (it is valid input, but running it
 * would give a wrong answer). The command line maps it to exit status 2, never to a silent allow.
 */
public final class UnsupportedScenarioException extends RuntimeException
{
    public UnsupportedScenarioException(final String message)
    {
        super(message);
    }
}
