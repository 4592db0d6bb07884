/** Checks of the code's layout across every module: package cycles and who may use what. */
package dev.tally.layout;
