// Field mode: the community activity form of the field page, without signal (docs/field-mode.md).
// The form is the server's `ActivityForm`, rendered into <template id="tpl-activity-form">; this
// fills what the page cannot know when it is cached: her services and the activity types from the
// trip's package, the places from the trip's geography (/api/v1/field/geography/), today's date.
// The place lists depend on one another: service -> province -> district -> community, as the
// online form's do. app.js stores what it gives as an encrypted item and sends it with the sync.
// Plain JavaScript, no library, no inline script (CSP).
(function () {
  "use strict";

  function setOptions(select, list) {
    // The empty choice the server rendered ("Choose a district") stays first.
    var first = select.options.length && select.options[0].value === "" ? select.options[0] : null;
    select.replaceChildren();
    if (first) { select.append(first); }
    list.forEach(function (option) { select.append(new Option(option.label, option.value)); });
  }

  function choose(select, value) {
    select.value = value === undefined || value === null ? "" : String(value);
    if (select.selectedIndex === -1 && select.options.length) { select.selectedIndex = 0; }
  }

  // Wire the form `form` (a copy of the template). `context`: {services: the package's services,
  // types: the package's activity types, places: the geography (or null), today: "YYYY-MM-DD"}.
  // Returns {reset(), fill(service, data)}.
  function setUp(form, context) {
    var places = context.places || { provinces: {}, districts: {}, communities: {} };
    var services = context.services || [];
    function field(name) { return form.querySelector("[name='" + name + "']"); }
    var service = field("service");
    var province = field("province");
    var district = field("district");
    var community = field("community");
    var date = field("date");

    if (services.length) {
      setOptions(service, services.map(function (s) { return { value: s.code, label: s.name }; }));
    }
    var wrapper = service.closest(".mb-3");
    if (wrapper) { wrapper.hidden = service.options.length < 2; }
    if (context.types && context.types.length) {
      setOptions(field("type"), context.types.map(function (kind) {
        return { value: kind.code, label: kind.label };
      }));
    }
    if (date) { date.max = context.today; }

    function seat() {
      return services.filter(function (s) { return s.code === service.value; })[0] || {};
    }

    // Without a province, the districts of the whole region (the server accepts them too).
    function districtsOf(code) {
      if (code) { return places.districts[code] || []; }
      return (places.provinces[seat().region] || []).reduce(function (all, p) {
        return all.concat(places.districts[p.value] || []);
      }, []);
    }

    function showProvinces(value) {
      setOptions(province, places.provinces[seat().region] || []);
      choose(province, value);
    }
    function showDistricts(value) {
      setOptions(district, districtsOf(province.value));
      choose(district, value);
    }
    function showCommunities(value) {
      setOptions(community, places.communities[district.value] || []);
      choose(community, value);
    }

    function atSeat() {
      var s = seat();
      showProvinces(s.province);
      showDistricts(s.district);
      showCommunities("");
    }

    service.addEventListener("change", atSeat);
    province.addEventListener("change", function () { showDistricts(""); showCommunities(""); });
    district.addEventListener("change", function () { showCommunities(""); });

    function reset() {
      form.reset();
      if (services.length) { choose(service, services[0].code); }
      atSeat();
      if (date) { date.value = context.today; }
    }

    // Put a stored item back: the lists first, each from the value above it, then the rest.
    function fill(serviceCode, data) {
      data = data || {};
      choose(service, serviceCode);
      showProvinces(data.province);
      showDistricts(data.district);
      showCommunities(data.community);
      var rest = {};
      Object.keys(data).forEach(function (name) {
        if (["province", "district", "community"].indexOf(name) === -1) { rest[name] = data[name]; }
      });
      window.WarmiField.forms.fill(form, rest);
    }

    reset();
    return { reset: reset, fill: fill };
  }

  window.WarmiField = window.WarmiField || {};
  window.WarmiField.activity = { setUp: setUp };
}());
