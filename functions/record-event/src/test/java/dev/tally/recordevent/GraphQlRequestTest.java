package dev.tally.recordevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GraphQlRequestTest {

  private static GraphQlRequest parse(Object operationName) throws Exception {
    Map<String, Object> body = new HashMap<>();
    body.put("query", "query Named { __typename }");
    body.put("operationName", operationName);
    return GraphQlRequest.parse(GraphQlClient.JSON.writeValueAsBytes(body));
  }

  @ParameterizedTest
  @ValueSource(strings = {"has space", "1stDigit", "dash-ed", "x'); DROP", "é"})
  void anOperationNameThatIsNoGraphQlName_isRefusedWithoutQuotingIt(String name) {
    BadRequestException refused = assertThrows(BadRequestException.class, () -> parse(name));

    assertTrue(refused.getMessage().startsWith("'operationName' must be the name of an operation"));
    assertFalse(refused.getMessage().contains(name), refused.getMessage());
  }

  @Test
  void anOperationNameLongerThanAnyName_isRefused() throws Exception {
    String longest = "N" + "a".repeat(GraphQlRequest.MAX_OPERATION_NAME_LENGTH - 1);

    assertEquals(longest, parse(longest).operationName());
    assertThrows(BadRequestException.class, () -> parse(longest + "a"));
  }

  @Test
  void theLog_showsShortNamesOnly() throws Exception {
    String hundred = "_" + "9".repeat(99);

    assertEquals(Optional.of("Named"), parse("Named").loggedOperationName());
    assertEquals(Optional.of(hundred), parse(hundred).loggedOperationName());
    assertEquals(Optional.of("(too long)"), parse(hundred + "9").loggedOperationName());
    assertEquals(Optional.empty(), parse(null).loggedOperationName());
    assertEquals(Optional.empty(), parse("").loggedOperationName(), "empty: no name given");
    assertEquals(
        Optional.of("(invalid)"),
        new GraphQlRequest("{ x }", "not a name", Map.of()).loggedOperationName(),
        "a request built elsewhere");
  }

  @Test
  void aBodyWithoutOperationName_parsesAsBefore() {
    GraphQlRequest request =
        GraphQlRequest.parse("{\"query\":\"{ __typename }\"}".getBytes(StandardCharsets.UTF_8));

    assertEquals(null, request.operationName());
    assertEquals(Map.of(), request.variables());
  }
}
