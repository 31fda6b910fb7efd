"use strict";
// A sign-in link carries the token in its fragment, which never reaches a server or a log.
const token = new URLSearchParams(location.hash.slice(1)).get("token");
document.getElementById("failed").hidden = !new URLSearchParams(location.search).has("failed");
if (token) {
  history.replaceState(null, "", location.pathname);
  document.getElementById("token").value = token;
  document.getElementById("login").submit();
}
