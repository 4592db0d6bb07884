package dev.tally.recordevent;

import dev.tally.event.Actor;
import dev.tally.log.JsonLog;
import dev.tally.privacy.Erasure;
import graphql.schema.DataFetchingEnvironment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Privacy fields: a signed-in user's own export opt-out ({@code exportOptOut}, {@code
 * setExportOptOut}), and the administrator's erasure of one person's data ({@code
 * erasePersonalData}, which counts against the administrator rate limit like the other
 * administrator's fields). Each change is refused in a request that records events.
 */
final class PrivacyFields {
  private final AdminStores stores;
  private final AdminGate gate;

  PrivacyFields(AdminStores stores, AdminGate gate) {
    this.stores = stores;
    this.gate = gate;
  }

  Object exportOptOut(DataFetchingEnvironment env) {
    long userId = signedInUser(env, "exportOptOut");
    return stores.optOut().isOptedOut(userId);
  }

  Object setExportOptOut(DataFetchingEnvironment env) {
    long userId = signedInUser(env, "setExportOptOut");
    AdminGate.change(env.getGraphQlContext().get(RequestState.class), "setExportOptOut");
    boolean optOut = env.getArgument("optOut");
    stores.optOut().set(userId, optOut);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("userId", userId);
    fields.put("optOut", optOut);
    JsonLog.info("export opt-out set by its user", fields);
    return EmptyResponse.VALUE;
  }

  Object erasePersonalData(DataFetchingEnvironment env) {
    RequestState state = gate.admitChange(env, "erasePersonalData");
    Object userId = env.getArgument("userID");
    String anonymousUserId = env.getArgument("anonymousUserID");
    if ((userId == null) == (anonymousUserId == null)) {
      throw new IllegalArgumentException(
          "erasePersonalData needs exactly one of 'userID' and 'anonymousUserID'");
    }
    Actor person;
    if (userId != null) {
      try {
        person = Actor.user(Long.parseLong(userId.toString().trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'userID' must be a user's numeric ID, got '" + userId + "'");
      }
    } else {
      if (anonymousUserId.isBlank()) {
        throw new IllegalArgumentException("'anonymousUserID' must not be blank");
      }
      person = Actor.anonymous(anonymousUserId.trim());
    }
    Long admin = state.context().actor().userId();
    Erasure.Result erased = stores.erasure().erase(person, "user:" + admin);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("eventLogs", UsageFields.count(erased.eventLogs()));
    result.put("unexportedEvents", UsageFields.count(erased.unexported()));
    result.put("exportedEvents", UsageFields.count(erased.exported()));
    result.put("usageRows", UsageFields.count(erased.usageRows()));
    result.put("heldEvents", UsageFields.count(erased.held()));
    return result;
  }

  /** The signed-in user's ID; an anonymous visitor is refused, saying why. */
  private static long signedInUser(DataFetchingEnvironment env, String field) {
    RequestState state = env.getGraphQlContext().get(RequestState.class);
    Long userId = state.context().actor().userId();
    if (userId == null) {
      throw new NotSignedInException(
          field
              + " needs a signed-in user (an access token): an anonymous visitor has no stored"
              + " identity to keep the choice with. Anonymous visitors' browsers can send"
              + " Global Privacy Control (Sec-GPC: 1), which keeps their events on the instance");
    }
    return userId;
  }
}
