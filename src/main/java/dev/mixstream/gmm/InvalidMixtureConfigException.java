package dev.mixstream.gmm;

/**
 * A {@link MixtureConfig} value out of its range: which parameter, and what is wrong with it, so that each
 * front end (configuration keys, command-line options) can name the parameter in its own words.
 */
public final class InvalidMixtureConfigException extends IllegalArgumentException {
    private final MixtureParameter parameter;
    private final String problem;

    /**
     * @param parameter the offending parameter
     * @param problem   what is wrong, without the parameter's name, e.g. "must be >= 1, got 0"
     */
    public InvalidMixtureConfigException(MixtureParameter parameter, String problem) {
        super(parameter.paramName() + " " + problem);
        this.parameter = parameter;
        this.problem = problem;
    }

    public MixtureParameter parameter() {
        return parameter;
    }

    /** What is wrong, without the parameter's name. */
    public String problem() {
        return problem;
    }
}
