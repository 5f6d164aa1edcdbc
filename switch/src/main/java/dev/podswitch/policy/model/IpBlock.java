package dev.podswitch.policy.model;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.util.List;

/** {@code ipBlock}: addresses in {@code cidr} but in none of {@code except}. */
public record IpBlock(Ipv4Cidr cidr, List<Ipv4Cidr> except)
{
    public IpBlock
    {
        except = List.copyOf(except);
    }
}
