package dev.mixstream.streams;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Marks each control-topic record as a command ({@link ModelCommand#HEADER}), so that it keeps being one on its
 * way to its model's task, through the internal rerouting topic too.
 */
final class CommandMarker implements Processor<byte[], byte[], byte[], byte[]> {
    private static final byte[] MARK = {1};
    private ProcessorContext<byte[], byte[]> context;

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        record.headers().remove(ModelCommand.HEADER); // a producer's own header of that name means nothing
        record.headers().add(ModelCommand.HEADER, MARK);
        context.forward(record);
    }
}
