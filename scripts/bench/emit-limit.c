/*
 * The physical limit for nbgitops' render stage: the same output bytes, emitted through
 * libyaml's event emitter with the same settings, from events already in memory.
 *
 *   emit-limit FILELIST [ROUNDS]
 *
 * FILELIST names the rendered files (one path a line). Each file is parsed once into events
 * (not timed); then, ROUNDS times (default 3, the best is kept), every file is emitted by a
 * fresh emitter into a growing memory buffer — one emitter per file, as nbgitops does — with
 * each event rebuilt from the stored one (libyaml copies scalar values, as nbgitops' events
 * do). The emitted bytes are compared with the file: they must be equal, or the program fails.
 * Prints: files, bytes, best seconds, MB/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

typedef struct { unsigned char *data; size_t size, capacity; } buffer_t;

static int write_handler(void *context, unsigned char *bytes, size_t size) {
    buffer_t *buffer = context;
    if (buffer->size + size > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < buffer->size + size) capacity *= 2;
        unsigned char *grown = realloc(buffer->data, capacity);
        if (!grown) return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, size);
    buffer->size += size;
    return 1;
}

/* header: the leading comment lines (nbgitops' one-line file header), copied as they are. */
typedef struct { yaml_event_t *events; size_t count; unsigned char *bytes; size_t size, header; } file_t;

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc(length > 0 ? (size_t)length : 1);
    if (!data || fread(data, 1, (size_t)length, file) != (size_t)length) { fclose(file); free(data); return NULL; }
    fclose(file);
    *size = (size_t)length;
    return data;
}

static int parse_file(file_t *out, const char *path) {
    out->bytes = read_all(path, &out->size);
    if (!out->bytes) { fprintf(stderr, "%s: cannot read\n", path); return 0; }
    out->header = 0;
    while (out->header < out->size && out->bytes[out->header] == '#') {
        unsigned char *end = memchr(out->bytes + out->header, '\n', out->size - out->header);
        out->header = end ? (size_t)(end - out->bytes) + 1 : out->size;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, out->bytes, out->size);
    size_t capacity = 64;
    out->events = malloc(capacity * sizeof(yaml_event_t));
    out->count = 0;
    for (;;) {
        if (out->count == capacity) { capacity *= 2; out->events = realloc(out->events, capacity * sizeof(yaml_event_t)); }
        yaml_event_t *event = &out->events[out->count];
        if (!yaml_parser_parse(&parser, event)) { fprintf(stderr, "%s: parse error\n", path); return 0; }
        out->count++;
        if (event->type == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&parser);
    return 1;
}

/* Rebuilds a stored event as nbgitops builds its own: implicit tags, no anchors. */
static int rebuild(const yaml_event_t *stored, yaml_event_t *event) {
    switch (stored->type) {
    case YAML_STREAM_START_EVENT: return yaml_stream_start_event_initialize(event, YAML_UTF8_ENCODING);
    case YAML_STREAM_END_EVENT: return yaml_stream_end_event_initialize(event);
    case YAML_DOCUMENT_START_EVENT:
        return yaml_document_start_event_initialize(event, NULL, NULL, NULL, stored->data.document_start.implicit);
    case YAML_DOCUMENT_END_EVENT: return yaml_document_end_event_initialize(event, 1);
    case YAML_SCALAR_EVENT:
        return yaml_scalar_event_initialize(event, NULL, NULL, stored->data.scalar.value, (int)stored->data.scalar.length,
                                            1, 1, stored->data.scalar.style);
    case YAML_SEQUENCE_START_EVENT:
        return yaml_sequence_start_event_initialize(event, NULL, NULL, 1, stored->data.sequence_start.style);
    case YAML_SEQUENCE_END_EVENT: return yaml_sequence_end_event_initialize(event);
    case YAML_MAPPING_START_EVENT:
        return yaml_mapping_start_event_initialize(event, NULL, NULL, 1, stored->data.mapping_start.style);
    case YAML_MAPPING_END_EVENT: return yaml_mapping_end_event_initialize(event);
    default: return 0;
    }
}

static int emit_file(const file_t *file, buffer_t *buffer) {
    yaml_emitter_t emitter;
    yaml_emitter_initialize(&emitter);
    yaml_emitter_set_unicode(&emitter, 1);
    yaml_emitter_set_width(&emitter, -1);
    yaml_emitter_set_indent(&emitter, 2);
    yaml_emitter_set_break(&emitter, YAML_LN_BREAK);
    yaml_emitter_set_output(&emitter, write_handler, buffer);
    int ok = write_handler(buffer, file->bytes, file->header);
    for (size_t index = 0; index < file->count && ok; index++) {
        yaml_event_t event;
        if (!rebuild(&file->events[index], &event) || !yaml_emitter_emit(&emitter, &event)) ok = 0;
    }
    yaml_emitter_flush(&emitter);
    yaml_emitter_delete(&emitter);
    return ok;
}

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: emit-limit FILELIST [ROUNDS]\n"); return 64; }
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    FILE *list = fopen(argv[1], "r");
    if (!list) { perror(argv[1]); return 1; }
    size_t count = 0, capacity = 1024;
    file_t *files = malloc(capacity * sizeof(file_t));
    char line[4096];
    size_t total = 0;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = 0;
        if (!*line) continue;
        if (count == capacity) { capacity *= 2; files = realloc(files, capacity * sizeof(file_t)); }
        if (!parse_file(&files[count], line)) return 1;
        total += files[count].size;
        count++;
    }
    fclose(list);

    buffer_t *outputs = calloc(count, sizeof(buffer_t));
    double best = 1e30;
    for (int round = 0; round < rounds; round++) {
        for (size_t index = 0; index < count; index++) { free(outputs[index].data); outputs[index] = (buffer_t){0}; }
        double start = now();
        for (size_t index = 0; index < count; index++) {
            /* nbgitops reserves 4 KiB per file up front; do the same. */
            outputs[index].data = malloc(4096);
            outputs[index].capacity = outputs[index].data ? 4096 : 0;
            if (!emit_file(&files[index], &outputs[index])) { fprintf(stderr, "emit failed\n"); return 1; }
        }
        double elapsed = now() - start;
        if (elapsed < best) best = elapsed;
    }
    for (size_t index = 0; index < count; index++) {
        if (outputs[index].size != files[index].size || memcmp(outputs[index].data, files[index].bytes, files[index].size) != 0) {
            fprintf(stderr, "file %zu: re-emitted bytes differ from nbgitops' output\n", index);
            return 2;
        }
    }
    printf("files=%zu bytes=%zu seconds=%.6f mbps=%.2f\n", count, total, best, (double)total / best / 1e6);
    return 0;
}
