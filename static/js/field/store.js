// Field mode: the device's store (docs/field-mode.md). IndexedDB database `warmi-field`:
// - `meta`, one record {key: "device", salt, verifier, user, failures, prepared_at, seq}: the
//   salt and verifier of the PIN, whose device this is, the wrong PINs so far, when the trip was
//   prepared, the last provisional number. Nothing about any person.
// - `records`, {id, kind, status, iv, data}: `kind` is "package" or "item", `status` (pending,
//   sent, refused, conflict) is in the clear so that the pending count needs no PIN; `data` is
//   the AES-GCM ciphertext of everything else (case data, names, errors, the package).
// Needs crypto.js first. Plain JavaScript, no library.
(function () {
  "use strict";
  var NAME = "warmi-field";
  var CACHE_PREFIX = "warmi-field";
  var MAX_FAILURES = 5;
  var WARN_FROM = 3;
  var fieldCrypto = window.WarmiField.crypto;
  var connection = null;

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function open() {
    if (connection) { return Promise.resolve(connection); }
    var request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = function () {
      var db = request.result;
      if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta", { keyPath: "key" }); }
      if (!db.objectStoreNames.contains("records")) {
        db.createObjectStore("records", { keyPath: "id" });
      }
    };
    return promised(request).then(function (db) {
      // Another tab wiping the database must not wait for this one.
      db.onversionchange = function () { db.close(); connection = null; };
      connection = db;
      return db;
    });
  }

  // Whether the database exists at all, without creating an empty one.
  function exists() {
    if (!indexedDB.databases) { return Promise.resolve(true); }
    return indexedDB.databases().then(function (list) {
      return list.some(function (entry) { return entry.name === NAME; });
    });
  }

  function transact(stores, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(stores, mode);
        var result;
        Promise.resolve(work(tx)).then(function (value) { result = value; }, reject);
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function getMeta() {
    return exists().then(function (there) {
      if (!there) { return null; }
      return transact(["meta"], "readonly", function (tx) {
        return promised(tx.objectStore("meta").get("device"));
      }).then(function (meta) { return meta || null; });
    });
  }

  // Read-modify-write of the meta record in one transaction.
  function updateMeta(change) {
    return transact(["meta"], "readwrite", function (tx) {
      var store = tx.objectStore("meta");
      return promised(store.get("device")).then(function (meta) {
        meta = change(meta || { key: "device" }) || meta;
        store.put(meta);
        return meta;
      });
    });
  }

  // Prepared: a PIN was set and the package is stored (`prepared_at` is written last).
  function isPrepared(meta) { return Boolean(meta && meta.salt && meta.verifier && meta.prepared_at); }

  // A device prepared by someone else is wiped before anything is shown.
  function claimFor(user) {
    return getMeta().then(function (meta) {
      if (meta && String(meta.user) !== String(user)) {
        return wipe().then(function () { return null; });
      }
      return meta;
    });
  }

  // A new trip: a fresh salt and verifier for the PIN; returns the key.
  function setUp(pin, user) {
    var salt = fieldCrypto.randomBytes(16);
    var key;
    return fieldCrypto.deriveKey(pin, salt).then(function (derived) {
      key = derived;
      return fieldCrypto.makeVerifier(key);
    }).then(function (verifier) {
      return transact(["meta", "records"], "readwrite", function (tx) {
        tx.objectStore("records").clear();
        tx.objectStore("meta").put({
          key: "device", salt: salt, verifier: verifier, user: String(user),
          failures: 0, prepared_at: null, seq: 0
        });
      });
    }).then(function () { return key; });
  }

  // {key} for the right PIN; {failures, left, warn, wiped} for a wrong one (wiped at the 5th).
  function unlock(pin) {
    return getMeta().then(function (meta) {
      if (!isPrepared(meta)) { return { wiped: true, failures: 0, left: 0 }; }
      return fieldCrypto.deriveKey(pin, meta.salt).then(function (key) {
        return fieldCrypto.checkVerifier(key, meta.verifier).then(function (right) {
          if (right) {
            return updateMeta(function (m) { m.failures = 0; }).then(function () {
              return { key: key };
            });
          }
          return updateMeta(function (m) { m.failures = (m.failures || 0) + 1; })
            .then(function (m) {
              var answer = {
                failures: m.failures,
                left: Math.max(MAX_FAILURES - m.failures, 0),
                warn: m.failures >= WARN_FROM,
                wiped: m.failures >= MAX_FAILURES
              };
              if (answer.wiped) { return wipe().then(function () { return answer; }); }
              return answer;
            });
        });
      });
    });
  }

  function failures() {
    return getMeta().then(function (meta) { return meta ? meta.failures || 0 : 0; });
  }

  function nextProvisional() {
    return updateMeta(function (m) { m.seq = (m.seq || 0) + 1; }).then(function (m) {
      return m.seq;
    });
  }

  // Store a record: `plain` ({id, kind, status}) stays readable, `secret` is encrypted.
  function put(key, plain, secret) {
    return fieldCrypto.encrypt(key, secret).then(function (sealed) {
      var record = { id: plain.id, kind: plain.kind, status: plain.status || null,
        iv: sealed.iv, data: sealed.data };
      return transact(["records"], "readwrite", function (tx) {
        tx.objectStore("records").put(record);
      }).then(function () { return record.iv.byteLength + record.data.byteLength; });
    });
  }

  function rawRecords() {
    return exists().then(function (there) {
      if (!there) { return []; }
      return transact(["records"], "readonly", function (tx) {
        return promised(tx.objectStore("records").getAll());
      });
    });
  }

  function rawRecord(id) {
    return transact(["records"], "readonly", function (tx) {
      return promised(tx.objectStore("records").get(id));
    });
  }

  function open_(key, record) {
    return fieldCrypto.decrypt(key, record.iv, record.data).then(function (secret) {
      secret.id = record.id;
      secret.kind = record.kind;
      secret.status = record.status;
      return secret;
    });
  }

  function read(key, id) {
    return rawRecord(id).then(function (record) { return record ? open_(key, record) : null; });
  }

  function readAll(key) {
    return rawRecords().then(function (records) {
      return Promise.all(records.map(function (record) { return open_(key, record); }));
    });
  }

  function remove(id) {
    return transact(["records"], "readwrite", function (tx) {
      tx.objectStore("records").delete(id);
    });
  }

  function pendingCount() {
    return rawRecords().then(function (records) {
      return records.filter(function (r) { return r.kind === "item" && r.status !== "sent"; })
        .length;
    });
  }

  function wipeCaches() {
    if (!window.caches) { return Promise.resolve(); }
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(CACHE_PREFIX) === 0;
      }).map(function (name) { return caches.delete(name); }));
    });
  }

  // Delete the database and this application's caches. Resolves once the database is gone
  // (other tabs close their connections on `versionchange`).
  function wipe() {
    if (connection) { connection.close(); connection = null; }
    var request = indexedDB.deleteDatabase(NAME);
    return promised(request).then(wipeCaches, wipeCaches);
  }

  // A form's fields as the server's form reads them: strings, and lists for the fields that
  // take several values (checkbox groups, multiple selects); never the one-time keys.
  function formValues(form) {
    var multiple = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) { return; }
      if (el.multiple || (el.type === "checkbox" &&
          form.querySelectorAll("input[type=checkbox][name='" + el.name + "']").length > 1)) {
        multiple[el.name] = true;
      }
    });
    var values = {};
    Object.keys(multiple).forEach(function (name) { values[name] = []; });
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || name === "submission_token") { return; }
      if (multiple[name]) { values[name].push(value); } else { values[name] = value; }
    });
    return values;
  }

  // Put stored values back into a form.
  function fillForm(form, values) {
    Object.keys(values || {}).forEach(function (name) {
      var value = values[name];
      var wanted = Array.isArray(value) ? value.map(String) : [String(value)];
      form.querySelectorAll("[name='" + name + "']").forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = wanted.indexOf(el.value) !== -1;
        } else if (el.multiple) {
          Array.prototype.forEach.call(el.options, function (o) {
            o.selected = wanted.indexOf(o.value) !== -1;
          });
        } else {
          el.value = wanted[0];
        }
      });
    });
  }

  // The server's reasons next to the fields they concern; the rest above the form.
  function showErrors(form, errors) {
    form.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    var general = [];
    Object.keys(errors || {}).forEach(function (name) {
      var messages = [].concat(errors[name]);
      var fields = form.querySelectorAll("[name='" + name + "']");
      if (!fields.length || name === "__all__") { general = general.concat(messages); return; }
      var last = fields[fields.length - 1];
      fields.forEach(function (el) { el.classList.add("is-invalid"); });
      var box = document.createElement("div");
      box.className = "invalid-feedback d-block field-error";
      box.id = "field-error-" + name;
      box.textContent = messages.join(" ");
      var anchor = last.closest(".form-check") || last;
      if (fields.length > 1) { anchor = last.closest("fieldset, .mb-3") || anchor; }
      anchor.parentNode.insertBefore(box, anchor.nextSibling);
      fields.forEach(function (el) { el.setAttribute("aria-describedby", box.id); });
    });
    if (general.length) {
      var top = document.createElement("div");
      top.className = "alert alert-danger field-error";
      top.setAttribute("role", "alert");
      top.textContent = general.join(" ");
      form.insertBefore(top, form.firstChild);
    }
  }

  window.WarmiField.forms = { values: formValues, fill: fillForm, showErrors: showErrors };

  window.WarmiField.store = {
    NAME: NAME,
    CACHE: "warmi-field-v1",
    MAX_FAILURES: MAX_FAILURES,
    exists: exists,
    getMeta: getMeta,
    updateMeta: updateMeta,
    isPrepared: isPrepared,
    claimFor: claimFor,
    setUp: setUp,
    unlock: unlock,
    failures: failures,
    nextProvisional: nextProvisional,
    put: put,
    read: read,
    readAll: readAll,
    rawRecords: rawRecords,
    remove: remove,
    pendingCount: pendingCount,
    wipe: wipe
  };
}());
