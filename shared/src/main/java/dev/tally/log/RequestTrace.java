package dev.tally.log;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The trace a request belongs to, from its headers: W3C {@code traceparent}, else Google's {@code
 * X-Cloud-Trace-Context}. Log lines written while it is {@linkplain JsonLog#inRequest current}
 * carry it, so that Cloud Logging groups a request's lines and links them to Cloud Trace.
 *
 * @param traceId 32 lowercase hex digits
 * @param spanId 16 lowercase hex digits, or {@code null} when the header gave none
 */
public record RequestTrace(String traceId, String spanId) {
  private static final Pattern TRACEPARENT =
      Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
  private static final Pattern CLOUD_TRACE_CONTEXT =
      Pattern.compile("([0-9a-fA-F]{32})(?:/([0-9]{1,20}))?(?:;o=[01])?");
  private static final String ZERO_TRACE = "0".repeat(32);

  /**
   * The trace of a request, or {@code null} when its headers name none.
   *
   * @param header a request's header by name, such as {@code HttpRequest::getFirstHeader}
   */
  public static RequestTrace of(Function<String, Optional<String>> header) {
    return of(
        header.apply("traceparent").orElse(null),
        header.apply("X-Cloud-Trace-Context").orElse(null));
  }

  /**
   * The trace of a request with these headers, or {@code null} when neither names one.
   *
   * @param traceparent the {@code traceparent} header, or {@code null}
   * @param cloudTraceContext the {@code X-Cloud-Trace-Context} header, or {@code null}
   */
  public static RequestTrace of(String traceparent, String cloudTraceContext) {
    if (traceparent != null) {
      Matcher m = TRACEPARENT.matcher(traceparent.trim());
      if (m.matches() && !m.group(1).equals(ZERO_TRACE)) {
        return new RequestTrace(m.group(1), m.group(2));
      }
    }
    if (cloudTraceContext != null) {
      Matcher m = CLOUD_TRACE_CONTEXT.matcher(cloudTraceContext.trim());
      if (m.matches() && !m.group(1).equals(ZERO_TRACE)) {
        return new RequestTrace(m.group(1).toLowerCase(Locale.ROOT), spanHex(m.group(2)));
      }
    }
    return null;
  }

  /**
   * A {@code traceparent} header that continues this trace in a call to another service, whose log
   * lines then join the same trace.
   */
  public String traceparent() {
    return "00-" + traceId + "-" + (spanId == null ? "0000000000000001" : spanId) + "-00";
  }

  /** The decimal span ID of {@code X-Cloud-Trace-Context} as the 16 hex digits Logging expects. */
  private static String spanHex(String decimal) {
    if (decimal == null) {
      return null;
    }
    try {
      return String.format("%016x", Long.parseUnsignedLong(decimal));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
