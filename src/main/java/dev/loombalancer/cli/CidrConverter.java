package dev.loombalancer.cli;

import dev.loombalancer.admission.Cidr;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --allow CIDR}; a parse error is a usage error (exit 2). */
final class CidrConverter implements ITypeConverter<Cidr> {
    @Override
    public Cidr convert(String text) {
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
