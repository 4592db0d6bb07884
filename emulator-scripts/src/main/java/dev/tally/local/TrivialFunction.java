package dev.tally.local;

import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import java.io.IOException;

/** The smallest HTTP function: the cold-start baseline of the benchmarks. */
public final class TrivialFunction implements HttpFunction {
  @Override
  public void service(HttpRequest request, HttpResponse response) throws IOException {
    response.setContentType("text/plain");
    response.getWriter().write("ok");
  }
}
