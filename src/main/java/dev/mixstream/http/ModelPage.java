package dev.mixstream.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * A page of {@code GET /models}: models in key order (UTF-8 byte order), after the request's {@code after} key.
 *
 * @param models      the models
 * @param next        the {@code after} of the next page, or null on the last page
 * @param unreachable with {@code scope=all}: the instances that did not answer (the page lacks their models)
 */
@JsonPropertyOrder({"models", "next", "unreachable"})
public record ModelPage(@JsonProperty("models") List<ModelListing> models,
                        @JsonProperty("next") @JsonInclude(JsonInclude.Include.ALWAYS) String next,
                        @JsonProperty("unreachable") @JsonInclude(JsonInclude.Include.ALWAYS)
                        List<String> unreachable) {
}
