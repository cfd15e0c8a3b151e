package dev.mixstream.streams;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Last line of defence: an unexpected exception while processing a record writes the record's raw key
 * and value to the dead-letter topic (reason {@code processing_error}) and processing resumes, so a bad
 * record can never stop the application.
 */
public final class DeadLetterProcessingHandler implements ProcessingExceptionHandler {
    /** Property carrying the dead-letter topic to the handler. */
    public static final String DLQ_TOPIC_CONFIG = "mixstream.internal.dlq.topic";
    /** Property carrying the dead-letter value limit to the handler. */
    public static final String DLQ_MAX_VALUE_BYTES_CONFIG = "mixstream.internal.dlq.max.value.bytes";
    /** Property carrying the points topic to the handler (named as the source of rerouted records). */
    public static final String POINTS_TOPIC_CONFIG = "mixstream.internal.points.topic";
    /** Property carrying the instance's {@link MixstreamMetrics} to the handler (an object, not a text). */
    public static final String METRICS_CONFIG = "mixstream.internal.metrics";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);

    private String topic = MixstreamConfig.defaultText(MixstreamConfig.DLQ_TOPIC_CONFIG);
    private String pointsTopic = MixstreamConfig.defaultText(MixstreamConfig.POINTS_TOPIC_CONFIG);
    private int maxValueBytes = Integer.parseInt(MixstreamConfig.defaultText(MixstreamConfig.DLQ_MAX_VALUE_BYTES_CONFIG));
    private MixstreamMetrics metrics;

    @Override
    public void configure(Map<String, ?> configs) {
        Object t = configs.get(DLQ_TOPIC_CONFIG);
        if (t != null) {
            topic = t.toString();
        }
        Object p = configs.get(POINTS_TOPIC_CONFIG);
        if (p != null) {
            pointsTopic = p.toString();
        }
        if (configs.get(METRICS_CONFIG) instanceof MixstreamMetrics meters) {
            metrics = meters;
        }
        Object m = configs.get(DLQ_MAX_VALUE_BYTES_CONFIG);
        if (m != null) {
            maxValueBytes = Integer.parseInt(m.toString());
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        LOG.warn("processing error on {}-{}@{}, record sent to {}: {}", context.topic(), context.partition(),
                context.offset(), topic, exception.toString());
        if (metrics != null) {
            metrics.deadLetter(RejectReason.PROCESSING_ERROR);
        }
        return Response.resume(List.of(deadLetter(topic, pointsTopic, maxValueBytes, context, record, exception)));
    }

    static ProducerRecord<byte[], byte[]> deadLetter(String topic, String pointsTopic, int maxValueBytes,
                                                     ErrorHandlerContext context, Record<?, ?> record,
                                                     Exception exception) {
        byte[] value = context.sourceRawValue();
        // a rerouted point names its place on the points topic and its original key in a header
        RecordOrigin origin = RecordOrigin.of(context.topic(), context.partition(), context.offset(), pointsTopic,
                record == null ? null : record.headers(), context.sourceRawKey());
        return new ProducerRecord<>(topic, null, context.timestamp(), origin.key(),
                DeadLetters.value(value, maxValueBytes),
                DeadLetters.headers(RejectReason.PROCESSING_ERROR, exception.toString(), origin.topic(),
                        origin.partition(), origin.offset(), value, maxValueBytes));
    }
}
