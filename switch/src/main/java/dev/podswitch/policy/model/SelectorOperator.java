package dev.podswitch.policy.model;

/** {@code matchExpressions[].operator} of a label selector. */
public enum SelectorOperator
{
    IN("In"),
    NOT_IN("NotIn"),
    EXISTS("Exists"),
    DOES_NOT_EXIST("DoesNotExist");

    private final String apiName;

    SelectorOperator(final String apiName)
    {
        this.apiName = apiName;
    }

    public String apiName()
    {
        return apiName;
    }

    /** The operator written as {@code apiName}, or null. */
    public static SelectorOperator ofApiName(final String apiName)
    {
        for (final SelectorOperator operator : values())
        {
            if (operator.apiName.equals(apiName))
            {
                return operator;
            }
        }
        return null;
    }
}
