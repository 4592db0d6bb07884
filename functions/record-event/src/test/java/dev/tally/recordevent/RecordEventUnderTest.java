package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.store.AccessTokens;
import dev.tally.testing.FunctionProcess;
import dev.tally.testing.TestDatabase;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

/**
 * record-event in the real invoker on a test database, as the integration tests that ask it GraphQL
 * questions start it: with the access token of a signed-in user and that of a site administrator
 * (user {@value #ADMIN}), and GraphQL over HTTP to it.
 */
final class RecordEventUnderTest implements AutoCloseable {
  /** The user ID of the site administrator's token. */
  private static final long ADMIN = 1;

  private final FunctionProcess function;
  private final GraphQlClient client;
  private final String userToken;
  private final String adminToken;

  private RecordEventUnderTest(FunctionProcess function, String userToken, String adminToken) {
    this.function = function;
    this.client = new GraphQlClient(function);
    this.userToken = userToken;
    this.adminToken = adminToken;
  }

  /**
   * Starts the function with {@code settings} besides the database's, then creates the two tokens.
   *
   * @param userId whom the user's token signs in as
   */
  static RecordEventUnderTest start(TestDatabase db, long userId, Map<String, String> settings)
      throws IOException, InterruptedException {
    FunctionProcess function = RecordEventProcesses.start(db, settings);
    try {
      AccessTokens tokens = new AccessTokens(db.dataSource(), Clock.systemUTC());
      String user = tokens.create(userId, Set.of(AccessTokens.USER_ALL), null, "user").token();
      String admin =
          tokens
              .create(ADMIN, Set.of(AccessTokens.USER_ALL, AccessTokens.SITE_ADMIN), null, "admin")
              .token();
      return new RecordEventUnderTest(function, user, admin);
    } catch (RuntimeException e) {
      function.close();
      throw e;
    }
  }

  /** The function's process: its URL, its output. */
  FunctionProcess function() {
    return function;
  }

  /** GraphQL to the function with the headers a test gives, whatever the status. */
  GraphQlClient client() {
    return client;
  }

  /** The signed-in user's access token (scope {@code user:all}). */
  String userToken() {
    return userToken;
  }

  /** The site administrator's access token (scopes {@code user:all} and {@code site-admin}). */
  String adminToken() {
    return adminToken;
  }

  /**
   * Posts a GraphQL request to {@code /.api/graphql} with {@code Authorization: token <token>}, or
   * no {@code Authorization} where {@code token} is null, and returns the answer's JSON, which must
   * come with status 200.
   */
  JsonNode graphQl(String token, String query, Map<String, ?> variables) throws Exception {
    GraphQlClient.Answer answer =
        token == null
            ? client.post(query, variables)
            : client.post(query, variables, "Authorization", "token " + token);
    assertEquals(200, answer.status(), answer.text());
    return answer.body();
  }

  @Override
  public void close() throws InterruptedException {
    function.close();
  }
}
