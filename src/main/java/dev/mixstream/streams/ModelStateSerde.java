package dev.mixstream.streams;

import dev.mixstream.gmm.ModelStateCodec;
import dev.mixstream.gmm.OnlineMixture;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link ModelStateCodec} as a Kafka serde: the value format of the models store and its changelog.
 * A state that does not decode is a {@link SerializationException} naming the topic.
 */
public final class ModelStateSerde extends Serdes.WrapperSerde<OnlineMixture> {
    /** The one instance (the serde is stateless). */
    public static final ModelStateSerde INSTANCE = new ModelStateSerde();

    private ModelStateSerde() {
        super(new Encoder(), new Decoder());
    }

    /** Encodes a model's state. */
    static final class Encoder implements Serializer<OnlineMixture> {
        @Override
        public byte[] serialize(String topic, OnlineMixture model) {
            return model == null ? null : ModelStateCodec.encode(model);
        }
    }

    /** Decodes a model's state. */
    static final class Decoder implements Deserializer<OnlineMixture> {
        @Override
        public OnlineMixture deserialize(String topic, byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            try {
                return ModelStateCodec.decode(bytes);
            } catch (IllegalArgumentException e) {
                throw new SerializationException("model state" + (topic == null ? "" : " from " + topic)
                        + " does not decode: " + e.getMessage(), e);
            }
        }
    }
}
