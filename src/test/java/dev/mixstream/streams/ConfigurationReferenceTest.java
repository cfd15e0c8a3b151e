package dev.mixstream.streams;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The documentation says what the code declares. */
class ConfigurationReferenceTest {

    @Test
    void theConfigurationPageShowsTheDeclaredSettings() throws IOException {
        String page = Files.readString(Path.of("docs", "CONFIGURATION.md"));
        int begin = page.indexOf(ConfigurationReference.BEGIN);
        int end = page.indexOf(ConfigurationReference.END);
        assertTrue(begin >= 0 && end > begin, "docs/CONFIGURATION.md has the generated part's markers");
        String shown = page.substring(begin, end + ConfigurationReference.END.length());
        String declared = ConfigurationReference.generated();
        if (!shown.equals(declared)) {
            Path fresh = Path.of("target", "CONFIGURATION.generated.md");
            Files.writeString(fresh, declared + "\n");
            assertEquals(declared, shown, "docs/CONFIGURATION.md differs from MixstreamConfig; the part to paste "
                    + "between the markers is in " + fresh);
        }
    }

    @Test
    void everySettingIsDocumentedAndNamedAsKafkaNamesSettings() {
        MixstreamConfig.DEFINITION.configKeys().values().forEach(k -> {
            assertTrue(k.name.startsWith("mixstream."), k.name);
            assertTrue(k.documentation != null && k.documentation.length() > 10, k.name + " is documented");
        });
        assertEquals(MixstreamConfig.DEFINITION.names().size(), MixstreamSettings.KEYS.size());
    }

    @Test
    void everyRelativeLinkInTheDocumentationResolves() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).forEach(pages::add);
        }
        Pattern link = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");
        List<String> broken = new ArrayList<>();
        for (Path page : pages) {
            Matcher m = link.matcher(Files.readString(page));
            while (m.find()) {
                String target = m.group(1);
                if (!target.contains("://") && !Files.exists(page.resolveSibling(target))) {
                    broken.add(page + " -> " + target);
                }
            }
        }
        assertEquals(List.of(), broken);
    }
}
