// The results map: an enhancement. The list is the real result; if Leaflet or the map
// tiles cannot load, the map stays hidden and nothing else changes.
const container = document.getElementById("results-map");
const data = document.getElementById("map-points");

async function showMap() {
  if (!container || !data) return;
  const points = JSON.parse(data.textContent);
  if (!points.length) return;
  await import("../vendor/leaflet/leaflet-src.esm.js").then((L) => {
    container.hidden = false;
    const map = L.map(container, { scrollWheelZoom: false });
    const tiles = L.tileLayer(container.dataset.tiles, {
      maxZoom: 18,
      attribution: "&copy; OpenStreetMap contributors",
    });
    let failed = 0;
    tiles.on("tileerror", () => {
      failed += 1;
      if (failed >= 3) container.hidden = true;
    });
    tiles.addTo(map);
    const bounds = [];
    for (const p of points) {
      const marker = L.marker([p.lat, p.lon], { title: p.title, alt: p.title }).addTo(map);
      const link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.title;
      marker.bindPopup(link);
      bounds.push([p.lat, p.lon]);
    }
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 });
  });
}

showMap().catch(() => {
  if (container) container.hidden = true;
});
