package dev.mixstream.streams;

import dev.mixstream.gmm.CovarianceType;
import dev.mixstream.gmm.InvalidMixtureConfigException;
import dev.mixstream.gmm.MixtureConfig;
import dev.mixstream.gmm.MixtureParameter;
import dev.mixstream.gmm.SettingText;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Per-key settings: the rules named by {@code mixstream.model.overrides}, in that order, each with the keys it
 * applies to ({@code mixstream.model.override.<rule>.keys}) and the settings it changes for them. A new model takes
 * the configuration of the first rule whose pattern matches its key, or the global one; it keeps that configuration
 * (it is part of its state) until it is reset or deleted, even if the rules change.
 */
public final class ModelOverrides {
    /** The prefix of every rule setting: {@code mixstream.model.override.<rule>.<setting>}. */
    public static final String PREFIX = "mixstream.model.override.";
    /** A rule's name: lower-case letters and digits, so that its environment variables map back to it. */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*");

    /** What a rule can set. */
    public enum Setting {
        KEYS("keys", "Required: the model keys the rule applies to, a glob (* any characters, ? one) such as "
                + "sensor-*, or regex:<Java regular expression>; either must match the whole key."),
        COMPONENTS("components", "K for these keys, or auto (as mixstream.components)."),
        MAX_COMPONENTS("max.components", "The largest K of these keys' models when their K is auto "
                + "(as mixstream.max.components)."),
        COVARIANCE_TYPE("covariance.type", "full, diag or spherical (as mixstream.covariance.type)."),
        HALF_LIFE("half.life", "Half-life in points, or none (as mixstream.half.life)."),
        WARMUP("warmup", "W, or auto (as mixstream.warmup)."),
        MIN_WEIGHT("min.weight", "Starvation threshold, or auto (as mixstream.min.weight).");

        private final String suffix;
        private final String meaning;

        Setting(String suffix, String meaning) {
            this.suffix = suffix;
            this.meaning = meaning;
        }

        /** The part after {@code mixstream.model.override.<rule>.}. */
        public String suffix() {
            return suffix;
        }

        /** What it means (the configuration reference's words). */
        public String meaning() {
            return meaning;
        }

        /** The full key of this setting in a rule. */
        public String key(String rule) {
            return PREFIX + rule + "." + suffix;
        }

        static Setting ofSuffix(String suffix) {
            for (Setting s : values()) {
                if (s.suffix.equals(suffix)) {
                    return s;
                }
            }
            return null;
        }
    }

    /**
     * One rule.
     *
     * @param name   as listed in {@code mixstream.model.overrides}
     * @param keys   the keys it applies to
     * @param config the configuration of new models with those keys
     * @param set    the settings it sets (the others are the global ones)
     */
    public record Rule(String name, KeyPattern keys, MixtureConfig config, Set<Setting> set) {
    }

    private final MixtureConfig base;
    private final List<Rule> rules;

    private ModelOverrides(MixtureConfig base, List<Rule> rules) {
        this.base = base;
        this.rules = List.copyOf(rules);
    }

    /** No rules: every model gets {@code base}. */
    public static ModelOverrides none(MixtureConfig base) {
        return new ModelOverrides(base, List.of());
    }

    /** The rules, in the order they are tried. */
    public List<Rule> rules() {
        return rules;
    }

    /** The first rule that applies to the key, or null. */
    public Rule ruleFor(String model) {
        for (Rule r : rules) {
            if (r.keys().matches(model)) {
                return r;
            }
        }
        return null;
    }

    /** The configuration a new model with this key starts with. */
    public MixtureConfig configFor(String model) {
        Rule r = ruleFor(model);
        return r == null ? base : r.config();
    }

    /** Whether a key belongs to a rule setting ({@code mixstream.model.override.*}). */
    public static boolean isRuleKey(String key) {
        return key.startsWith(PREFIX);
    }

    /**
     * Parses the rules.
     *
     * @param names         {@code mixstream.model.overrides}, in order
     * @param settings      every {@code mixstream.model.override.*} property
     * @param base          the global configuration
     * @param minWeightAuto whether the global min weight is {@code auto} (then a rule's K gets its own automatic one)
     * @throws IllegalArgumentException naming the offending key
     */
    static ModelOverrides parse(List<String> names, Map<String, String> settings, MixtureConfig base,
                                boolean minWeightAuto) {
        Set<String> listed = new LinkedHashSet<>();
        for (String name : names) {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(MixstreamConfig.MODEL_OVERRIDES_CONFIG + ": rule name '" + name
                        + "' must be lower-case letters and digits, starting with a letter");
            }
            if (!listed.add(name)) {
                throw new IllegalArgumentException(MixstreamConfig.MODEL_OVERRIDES_CONFIG + " lists rule " + name
                        + " twice");
            }
        }
        Map<String, Map<Setting, String>> byRule = new LinkedHashMap<>();
        listed.forEach(n -> byRule.put(n, new LinkedHashMap<>()));
        settings.forEach((key, value) -> {
            String rest = key.substring(PREFIX.length());
            int dot = rest.indexOf('.');
            String name = dot < 0 ? rest : rest.substring(0, dot);
            Setting setting = dot < 0 ? null : Setting.ofSuffix(rest.substring(dot + 1));
            if (!listed.contains(name)) {
                throw new IllegalArgumentException(key + " belongs to no rule listed in "
                        + MixstreamConfig.MODEL_OVERRIDES_CONFIG + " (listed: "
                        + (listed.isEmpty() ? "none" : String.join(", ", listed)) + ")");
            }
            if (setting == null) {
                throw new IllegalArgumentException("unknown rule setting " + key + " (a rule sets: "
                        + Arrays.stream(Setting.values()).map(Setting::suffix).collect(Collectors.joining(", ")) + ")");
            }
            byRule.get(name).put(setting, value == null ? "" : value.trim());
        });
        List<Rule> rules = new ArrayList<>();
        byRule.forEach((name, values) -> rules.add(rule(name, values, base, minWeightAuto)));
        return new ModelOverrides(base, rules);
    }

    private static Rule rule(String name, Map<Setting, String> values, MixtureConfig base, boolean minWeightAuto) {
        String keysText = values.get(Setting.KEYS);
        if (keysText == null) {
            throw new IllegalArgumentException("rule " + name + " needs " + Setting.KEYS.key(name)
                    + " (a glob such as sensor-*, or regex:<expression>)");
        }
        KeyPattern keys = checked(name, Setting.KEYS, keysText, KeyPattern::parse);
        int k = values.containsKey(Setting.COMPONENTS)
                ? checked(name, Setting.COMPONENTS, values.get(Setting.COMPONENTS), SettingText::components)
                : base.components();
        int max = values.containsKey(Setting.MAX_COMPONENTS)
                ? checked(name, Setting.MAX_COMPONENTS, values.get(Setting.MAX_COMPONENTS), ModelOverrides::largestK)
                : base.automaticComponents() ? base.maxComponents() : MixtureConfig.DEFAULT_MAX_COMPONENTS;
        CovarianceType type = values.containsKey(Setting.COVARIANCE_TYPE)
                ? checked(name, Setting.COVARIANCE_TYPE, values.get(Setting.COVARIANCE_TYPE), CovarianceType::parse)
                : base.covarianceType();
        double halfLife = values.containsKey(Setting.HALF_LIFE)
                ? checked(name, Setting.HALF_LIFE, values.get(Setting.HALF_LIFE), SettingText::halfLife)
                : base.halfLife();
        int warmup = values.containsKey(Setting.WARMUP)
                ? checked(name, Setting.WARMUP, values.get(Setting.WARMUP), SettingText::warmup)
                : base.warmup();
        double minWeight = values.containsKey(Setting.MIN_WEIGHT)
                ? checked(name, Setting.MIN_WEIGHT, values.get(Setting.MIN_WEIGHT), SettingText::minWeight)
                : minWeightAuto ? Double.NaN : base.minWeight();
        try {
            boolean auto = k == MixtureConfig.AUTO_COMPONENTS;
            MixtureConfig c = new MixtureConfig(k, type, base.regCovar(), halfLife, base.stepExponent(),
                    base.batchSize(), warmup, base.initIterations(),
                    Double.isNaN(minWeight) ? MixtureConfig.defaultMinWeight(auto ? max : k) : minWeight, base.seed(),
                    auto ? max : 0);
            return new Rule(name, keys, c, values.keySet());
        } catch (InvalidMixtureConfigException e) {
            Setting own = settingOf(e.parameter());
            String key = own != null && values.containsKey(own) ? own.key(name)
                    : MixstreamConfig.KEY_OF.get(e.parameter()) + " (for rule " + name + ")";
            throw new IllegalArgumentException(key + " " + e.problem(), e);
        }
    }

    private static Setting settingOf(MixtureParameter p) {
        return switch (p) {
            case COMPONENTS -> Setting.COMPONENTS;
            case MAX_COMPONENTS -> Setting.MAX_COMPONENTS;
            case COVARIANCE_TYPE -> Setting.COVARIANCE_TYPE;
            case HALF_LIFE -> Setting.HALF_LIFE;
            case WARMUP -> Setting.WARMUP;
            case MIN_WEIGHT -> Setting.MIN_WEIGHT;
            default -> null;
        };
    }

    private static int largestK(String text) {
        try {
            int k = Integer.parseInt(text.trim());
            if (k >= 1 && k <= MixtureConfig.MAX_COMPONENTS) {
                return k;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("must be an integer in [1, " + MixtureConfig.MAX_COMPONENTS + "]");
    }

    private static <T> T checked(String rule, Setting setting, String value,
                                 java.util.function.Function<String, T> parse) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid value " + value + " for configuration " + setting.key(rule)
                    + ": " + e.getMessage(), e);
        }
    }
}
