# A Debian root file system made by debootstrap (scripts/farm), as one layer.
FROM scratch
ADD rootfs.tar /
CMD ["bash"]
