/**
 * Configuration read from the environment in one place per deployable.
 *
 * <p>Each deployable has one immutable record built by {@code fromEnv(Map<String, String>)} at cold
 * start. A bad value fails the start with a {@link dev.tally.config.ConfigException} that names the
 * variable and the value; nothing else reads the environment.
 */
package dev.tally.config;
