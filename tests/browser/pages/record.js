// Starts rrweb on the page the way a careless site would: nothing masked in
// the browser, so everything the test checks is masked by veil on the server.
window.__events = [];
rrweb.record({
  emit(event) {
    window.__events.push(event);
  },
  maskAllInputs: false,
  maskInputOptions: { password: false },
});
