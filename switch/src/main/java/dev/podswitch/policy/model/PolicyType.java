package dev.podswitch.policy.model;

/** {@code spec.policyTypes}: the directions a NetworkPolicy isolates the pods it selects for. */
public enum PolicyType
{
    INGRESS("Ingress"),
    EGRESS("Egress");

    private final String apiName;

    PolicyType(final String apiName)
    {
        this.apiName = apiName;
    }

    /** As written in manifests: {@code Ingress}, {@code Egress}. */
    public String apiName()
    {
        return apiName;
    }
}
