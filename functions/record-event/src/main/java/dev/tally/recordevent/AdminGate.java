package dev.tally.recordevent;

import dev.tally.ratelimit.CallerLimits;
import graphql.schema.DataFetchingEnvironment;

/**
 * Who may use the administrator's fields: a site admin's token, counted once per request against
 * the administrator rate limit; and a change only in a request that records nothing.
 */
final class AdminGate {
  private final CallerLimits limits;

  AdminGate(CallerLimits limits) {
    this.limits = limits;
  }

  /** Lets a site admin through, counting the request once against the administrator limit. */
  RequestState admit(DataFetchingEnvironment env, String field) {
    RequestState state = env.getGraphQlContext().get(RequestState.class);
    if (!state.context().siteAdmin()) {
      throw new NotPermittedException(field + " needs an access token with the site-admin scope");
    }
    if (state.countAdminRequestOnce()) {
      limits.adminRequest(state.context().caller());
    }
    return state;
  }

  /**
   * Lets a site admin's change through when the request records nothing: a change takes effect at
   * once, while a request's events are stored only if all of them are valid.
   */
  RequestState admitChange(DataFetchingEnvironment env, String field) {
    return change(admit(env, field), field);
  }

  /**
   * Lets a change through when the request records nothing; marks the request changed, so that no
   * later field of it records events either.
   */
  static RequestState change(RequestState state, String field) {
    if (!state.recordingFields().isEmpty()) {
      throw new IllegalArgumentException(
          field + " cannot be sent in a request that records events; send it on its own");
    }
    state.changed();
    return state;
  }
}
