/* Calls to our API with the device's token. A 401 means the token no longer works
   (signed out, or the clinic sent a new invitation): the app shows the signed-out
   screen. Problems (RFC 9457) come back as errors with the API's own words. */
"use strict";
(function () {
  const SMP = window.SMP;

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem || {};
    }
  }
  SMP.ApiError = ApiError;

  /** `await SMP.api("GET", "/v1/me")`; `offline` on the answer when the worker served
      it from what it kept (its value: when that was fetched). `{anonymous: true}` sends
      no token (the invitation accept). */
  SMP.api = async function (method, path, body, options) {
    const anonymous = Boolean(options && options.anonymous);
    const token = anonymous ? null : await SMP.store.token();
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (e) {
      throw new ApiError(0, { detail: SMP.t("errors.offline") });
    }
    if (response.status === 204) return null;
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      if (response.status === 401 && !anonymous) SMP.signedOut();
      throw new ApiError(response.status, typeof data === "object" ? data : { detail: data });
    }
    const cachedAt = response.headers.get("x-smp-cached-at");
    if (cachedAt && data && typeof data === "object") {
      Object.defineProperty(data, "offline", { value: cachedAt, enumerable: false });
    }
    return data;
  };

  /** The SVG picture of the timeline, as markup from our server. */
  SMP.apiText = async function (path) {
    const token = await SMP.store.token();
    const response = await fetch(path, { headers: { Authorization: "Bearer " + token } });
    if (!response.ok) throw new ApiError(response.status, {});
    return response.text();
  };
})();
