# Sourced by the project's scripts: find_java prints the path of a Java 21 or newer.
# Looks in JAVA_HOME, then PATH, then the system's JVM directories; never a fixed JDK path.

# The feature version of a java binary: 8 for "1.8.0_392", 21 for "21.0.2", 25 for "25".
java_feature() {
  "$1" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }' |
    awk -F. '{ v = ($1 == "1") ? $2 : $1; sub(/[^0-9].*/, "", v); print v }'
}

find_java() {
  local candidate feature
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null)" \
      /usr/lib/jvm/*/bin/java /usr/java/*/bin/java /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    feature=$(java_feature "$candidate")
    if [ -n "$feature" ] && [ "$feature" -ge 21 ]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "No Java 21 or newer found (looked in JAVA_HOME, PATH and the system's JVM directories);" \
       "install one, e.g. 'apt-get install openjdk-21-jdk', or set JAVA_HOME" >&2
  return 1
}

# The JVM options recommended for the balancer that only some JDKs take, for the java
# binary $1: compact object headers (JEP 519, a product option from JDK 25), which cut an
# idle connection's heap (README, "Performance"). Prints nothing for a JDK without them.
jvm_options_for() {
  if "$1" -XX:+UseCompactObjectHeaders -version > /dev/null 2>&1; then
    echo "-XX:+UseCompactObjectHeaders"
  fi
}
