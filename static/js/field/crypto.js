// Field mode: the key that protects everything the device stores (docs/field-mode.md).
// PBKDF2-SHA-256 (600,000 iterations, random 16-byte salt) turns the PIN into an AES-GCM-256
// key that never leaves memory (not extractable); every record gets its own random 12-byte IV.
// Plain JavaScript with the browser's Web Crypto API: no library, nothing from the network.
(function () {
  "use strict";
  var ITERATIONS = 600000;
  var VERIFIER_TEXT = "warmi-field-verifier-v1";
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  function randomBytes(length) {
    return crypto.getRandomValues(new Uint8Array(length));
  }

  function deriveKey(pin, salt) {
    return crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"])
      .then(function (material) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: ITERATIONS },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"]
        );
      });
  }

  // Encrypt any JSON value: {iv, data}, both binary (what IndexedDB stores).
  function encrypt(key, value) {
    var iv = randomBytes(12);
    var plain = encoder.encode(JSON.stringify(value));
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, plain)
      .then(function (cipher) { return { iv: iv, data: new Uint8Array(cipher) }; });
  }

  // Rejects when the key is wrong or the record was tampered with (GCM's tag).
  function decrypt(key, iv, data) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: iv }, key, data)
      .then(function (plain) { return JSON.parse(decoder.decode(plain)); });
  }

  function makeVerifier(key) { return encrypt(key, VERIFIER_TEXT); }

  // Resolves true when the key opens the verifier, false for any other key.
  function checkVerifier(key, verifier) {
    return decrypt(key, verifier.iv, verifier.data)
      .then(function (text) { return text === VERIFIER_TEXT; }, function () { return false; });
  }

  window.WarmiField = window.WarmiField || {};
  window.WarmiField.crypto = {
    ITERATIONS: ITERATIONS,
    randomBytes: randomBytes,
    deriveKey: deriveKey,
    encrypt: encrypt,
    decrypt: decrypt,
    makeVerifier: makeVerifier,
    checkVerifier: checkVerifier
  };
}());
